package kubegate.meta.provenance_annotations_test

import rego.v1

import data.kubegate.meta.provenance_annotations as p

meta2_params := {"META-002": {"required_annotations": [
	{"key": "example.com/git-commit", "allowedRegex": "^[0-9a-f]{40}$"},
	{"key": "example.com/build-url", "allowedRegex": "^https://jenkins\\.example\\.com/job/"},
]}}

meta2_sha := "0123456789abcdef0123456789abcdef01234567"

meta2_deploy(annotations) := {
	"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "annotations": annotations},
	"spec": {"template": {"metadata": {}, "spec": {"containers": []}}},
}

meta2_good := {"example.com/git-commit": meta2_sha, "example.com/build-url": "https://jenkins.example.com/job/web/12/"}

meta2_paths(set) := {f.path | some f in set}

test_off_until_configured if {
	count(p.warnings(meta2_deploy({}))) == 0
}

test_annotated_workload_passes_and_template_is_not_checked if {
	params := meta2_params
	count(p.warnings(meta2_deploy(meta2_good))) == 0 with data.params as params
}

test_missing_and_malformed if {
	params := meta2_params
	meta2_paths(p.warnings(meta2_deploy({"example.com/git-commit": meta2_sha}))) == {["metadata", "annotations"]} with data.params as params
	short := {"example.com/git-commit": "0123456", "example.com/build-url": "https://jenkins.example.com/job/web/12/"}
	meta2_paths(p.warnings(meta2_deploy(short))) == {["metadata", "annotations", "example.com/git-commit"]} with data.params as params
	evil := {"example.com/git-commit": meta2_sha, "example.com/build-url": "https://evil.example.org/job/x"}
	meta2_paths(p.warnings(meta2_deploy(evil))) == {["metadata", "annotations", "example.com/build-url"]} with data.params as params
}

test_non_workloads_ignored if {
	params := meta2_params
	count(p.warnings({"kind": "Service", "metadata": {"name": "s"}})) == 0 with data.params as params
}

test_wiring if {
	w := p.warn with input.kind as "Job" with input.metadata as {"name": "j"}
		with data.params as {"META-002": {"required_annotations": [{"key": "example.com/git-commit"}]}}
	meta2_paths(w) == {["metadata"]}
}
