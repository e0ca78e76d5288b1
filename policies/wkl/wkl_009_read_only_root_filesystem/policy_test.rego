package kubegate.wkl.read_only_root_filesystem_test

import rego.v1

import data.kubegate.wkl.read_only_root_filesystem as p

pod(spec) := {"kind": "Pod", "metadata": {"name": "p"}, "spec": spec}

paths(set) := {f.path | some f in set}

one_container(ctr_sc) := pod({"containers": [{"name": "a", "securityContext": ctr_sc}]})

test_read_only_root_filesystem if {
	count(p.warnings(one_container({"readOnlyRootFilesystem": true}))) == 0
	paths(p.warnings(one_container({"readOnlyRootFilesystem": false}))) == {["spec", "containers", 0, "securityContext", "readOnlyRootFilesystem"]}
	paths(p.warnings(one_container({}))) == {["spec", "containers", 0, "securityContext"]}
	paths(p.warnings(pod({"containers": [{"name": "a"}]}))) == {["spec", "containers", 0]}
}

test_pod_level_read_only_does_not_exist if {
	obj := pod({"securityContext": {"readOnlyRootFilesystem": true}, "containers": [{"name": "a", "securityContext": {}}]})
	paths(p.warnings(obj)) == {["spec", "containers", 0, "securityContext"]}
}

test_init_and_ephemeral_containers if {
	obj := {"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": {
		"initContainers": [{"name": "i", "securityContext": {"readOnlyRootFilesystem": true}}],
		"ephemeralContainers": [{"name": "e"}],
	}}}}}}
	paths(p.warnings(obj)) == {["spec", "jobTemplate", "spec", "template", "spec", "ephemeralContainers", 0]}
}

test_windows_pod_skipped if {
	count(p.warnings(pod({"os": {"name": "windows"}, "containers": [{"name": "a"}]}))) == 0
}

test_wiring if {
	w := p.warn with input.kind as "Pod" with input.spec as {"containers": [{"name": "a"}]}
	paths(w) == {["spec", "containers", 0]}
}
