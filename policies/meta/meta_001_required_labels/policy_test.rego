package kubegate.meta.required_labels_test

import rego.v1

import data.kubegate.meta.required_labels as p

meta1_params := {"META-001": {"required_labels": [{"key": "app.kubernetes.io/name"}, {"key": "team", "allowedRegex": "^[a-z][a-z0-9-]*$"}]}}

meta1_good := {"app.kubernetes.io/name": "web", "team": "shop"}

meta1_deploy(labels, pod_labels) := {
	"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "labels": labels},
	"spec": {"template": {"metadata": {"labels": pod_labels}, "spec": {"containers": []}}},
}

meta1_paths(set) := {f.path | some f in set}

test_off_until_configured if {
	count(p.errors(meta1_deploy({}, {}))) == 0
}

test_labelled_workload_passes if {
	params := meta1_params
	count(p.errors(meta1_deploy(meta1_good, meta1_good))) == 0 with data.params as params
}

test_pod_template_checked_separately if {
	params := meta1_params
	meta1_paths(p.errors(meta1_deploy(meta1_good, {"team": "shop"}))) == {["spec", "template", "metadata", "labels"]} with data.params as params
	meta1_paths(p.errors(meta1_deploy({"team": "shop"}, meta1_good))) == {["metadata", "labels"]} with data.params as params
}

test_value_must_match if {
	params := meta1_params
	bad := {"app.kubernetes.io/name": "web", "team": "Shop Team"}
	meta1_paths(p.errors(meta1_deploy(bad, meta1_good))) == {["metadata", "labels", "team"]} with data.params as params

	# A YAML 1.1 boolean or a number is not a string label value.
	num := {"app.kubernetes.io/name": true, "team": "shop"}
	meta1_paths(p.errors(meta1_deploy(meta1_good, num))) == {["spec", "template", "metadata", "labels", "app.kubernetes.io/name"]} with data.params as params
}

test_absent_metadata_points_at_parent if {
	params := meta1_params
	cron := {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"}, "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": []}}}}}}
	meta1_paths(p.errors(cron)) == {["metadata"], ["spec", "jobTemplate", "spec", "template"]} with data.params as params
	pod := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "labels": "not-a-map"}, "spec": {}}
	meta1_paths(p.errors(pod)) == {["metadata", "labels"]} with data.params as params
}

test_non_workloads_ignored if {
	params := meta1_params
	count(p.errors({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}})) == 0 with data.params as params
}

test_wiring if {
	d := p.deny with input.kind as "Pod" with input.metadata as {"name": "p", "labels": {"team": "shop"}}
		with data.params as {"META-001": {"required_labels": [{"key": "app.kubernetes.io/name"}]}}
	meta1_paths(d) == {["metadata", "labels"]}
}
