package lib.meta_ext_test

import rego.v1

import data.lib.meta_ext

test_nearest if {
	obj := {"spec": {"template": {"spec": {}}}}
	meta_ext.nearest(obj, ["spec", "template", "metadata", "labels"]) == ["spec", "template"]
	meta_ext.nearest(obj, ["metadata", "labels"]) == []
	meta_ext.nearest({"metadata": {"labels": {}}}, ["metadata", "labels"]) == ["metadata", "labels"]
}

test_metadata_paths if {
	meta_ext.metadata_paths({"kind": "Pod"}) == [["metadata"]]
	meta_ext.metadata_paths({"kind": "CronJob"}) == [["metadata"], ["spec", "jobTemplate", "spec", "template", "metadata"]]
	not meta_ext.metadata_paths({"kind": "ConfigMap"})
}

test_required_key_findings if {
	obj := {"metadata": {"labels": {"team": "a", "tier": 3, "empty": null}}}
	specs := [{"key": "team", "allowedRegex": "^[a-z]+$"}, {"key": "tier"}, {"key": "owner"}, {"key": "empty"}, {"nokey": 1}, "junk"]
	{f.path | some f in meta_ext.required_key_findings(obj, ["metadata"], "labels", specs, "Pod 'p'")} == {
		["metadata", "labels", "tier"],
		["metadata", "labels"],
	}
	count(meta_ext.required_key_findings(obj, ["metadata"], "labels", specs, "Pod 'p'")) == 3
}

test_invalid_regex_fails_closed if {
	obj := {"metadata": {"labels": {"team": "a"}}}
	count(meta_ext.required_key_findings(obj, ["metadata"], "labels", [{"key": "team", "allowedRegex": "("}], "x")) == 1
}
