package kubegate.wkl.seccomp_read_only_test

import rego.v1

import data.kubegate.wkl.seccomp_read_only as p

pod(spec) := {"kind": "Pod", "metadata": {"name": "p"}, "spec": spec}

paths(set) := {f.path | some f in set}

ro := {"readOnlyRootFilesystem": true}

one(pod_sc, ctr_sc) := pod({"securityContext": pod_sc, "containers": [{"name": "a", "securityContext": ctr_sc}]})

test_pod_runtime_default_inherited if {
	obj := one({"seccompProfile": {"type": "RuntimeDefault"}}, ro)
	count(p.errors(obj)) == 0
	count(p.warnings(obj)) == 0
}

test_container_localhost if {
	obj := one({}, {"readOnlyRootFilesystem": true, "seccompProfile": {"type": "Localhost", "localhostProfile": "x.json"}})
	count(p.warnings(obj)) == 0
}

test_unconfined_pod_and_container if {
	obj := one({"seccompProfile": {"type": "Unconfined"}}, {"readOnlyRootFilesystem": true, "seccompProfile": {"type": "Unconfined"}})
	paths(p.errors(obj)) == {
		["spec", "securityContext", "seccompProfile", "type"],
		["spec", "containers", 0, "securityContext", "seccompProfile", "type"],
	}
	# An Unconfined profile is an error, not also a warning.
	count(p.warnings(obj)) == 0
}

test_container_unconfined_overrides_pod_default if {
	obj := one({"seccompProfile": {"type": "RuntimeDefault"}}, {"readOnlyRootFilesystem": true, "seccompProfile": {"type": "Unconfined"}})
	paths(p.errors(obj)) == {["spec", "containers", 0, "securityContext", "seccompProfile", "type"]}
}

test_container_default_does_not_excuse_pod_unconfined if {
	obj := one({"seccompProfile": {"type": "Unconfined"}}, {"readOnlyRootFilesystem": true, "seccompProfile": {"type": "RuntimeDefault"}})
	paths(p.errors(obj)) == {["spec", "securityContext", "seccompProfile", "type"]}
	count(p.warnings(obj)) == 0
}

test_no_profile_warns if {
	paths(p.warnings(one({}, ro))) == {["spec", "containers", 0, "securityContext"]}
	paths(p.warnings(one({"seccompProfile": {}}, ro))) == {["spec", "securityContext", "seccompProfile"]}
	paths(p.warnings(one({"seccompProfile": {"type": "runtime/default"}}, ro))) == {["spec", "securityContext", "seccompProfile", "type"]}
}

test_read_only_root_filesystem_is_wkl_009 if {
	base := {"seccompProfile": {"type": "RuntimeDefault"}}
	count(p.warnings(one(base, {"readOnlyRootFilesystem": false}))) == 0
}

test_init_ephemeral_cronjob if {
	obj := {"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": {
		"securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
		"initContainers": [{"name": "i", "securityContext": {"readOnlyRootFilesystem": true, "seccompProfile": {"type": "Unconfined"}}}],
		"ephemeralContainers": [{"name": "e", "securityContext": {"seccompProfile": {"type": "Localhost"}}}, {"name": "f", "securityContext": {"seccompProfile": {"type": "x"}}}],
	}}}}}}
	paths(p.errors(obj)) == {["spec", "jobTemplate", "spec", "template", "spec", "initContainers", 0, "securityContext", "seccompProfile", "type"]}
	paths(p.warnings(obj)) == {["spec", "jobTemplate", "spec", "template", "spec", "ephemeralContainers", 1, "securityContext", "seccompProfile", "type"]}
}

test_windows_pod_skipped if {
	obj := pod({"os": {"name": "windows"}, "containers": [{"name": "a"}]})
	count(p.warnings(obj)) == 0
}

test_wiring if {
	d := p.deny with input.kind as "Pod" with input.spec as {"securityContext": {"seccompProfile": {"type": "Unconfined"}}}
	paths(d) == {["spec", "securityContext", "seccompProfile", "type"]}
	w := p.warn with input.kind as "Pod" with input.spec as {"containers": [{"name": "a"}]}
	paths(w) == {["spec", "containers", 0]}
}
