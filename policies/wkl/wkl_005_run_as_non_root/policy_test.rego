package kubegate.wkl.run_as_non_root_test

import rego.v1

import data.kubegate.wkl.run_as_non_root as p

pod(spec) := {"kind": "Pod", "metadata": {"name": "p"}, "spec": spec}

paths(set) := {f.path | some f in set}

one(pod_sc, ctr_sc) := pod({"securityContext": pod_sc, "containers": [{"name": "a", "securityContext": ctr_sc}]})

test_pod_level_true_is_inherited if {
	count(p.errors(one({"runAsNonRoot": true}, {}))) == 0
}

test_container_level_true_suffices if {
	count(p.errors(one({}, {"runAsNonRoot": true}))) == 0
}

test_container_false_overrides_pod_true if {
	paths(p.errors(one({"runAsNonRoot": true}, {"runAsNonRoot": false}))) == {["spec", "containers", 0, "securityContext", "runAsNonRoot"]}
}

test_container_true_overrides_pod_false if {
	count(p.errors(one({"runAsNonRoot": false}, {"runAsNonRoot": true}))) == 0
}

test_pod_false_points_at_pod_field if {
	paths(p.errors(one({"runAsNonRoot": false}, {}))) == {["spec", "securityContext", "runAsNonRoot"]}
}

test_absent_everywhere if {
	paths(p.errors(pod({"containers": [{"name": "a"}], "initContainers": [{"name": "i", "securityContext": {}}]}))) == {
		["spec", "containers", 0],
		["spec", "initContainers", 0, "securityContext"],
	}
}

test_null_container_value_inherits_pod if {
	count(p.errors(one({"runAsNonRoot": true}, {"runAsNonRoot": null}))) == 0
}

test_non_zero_user_alone_is_not_enough if {
	# Restricted PSS requires runAsNonRoot: true; runAsUser alone can be overridden by a later edit.
	paths(p.errors(one({"runAsUser": 1000}, {}))) == {["spec", "containers", 0, "securityContext"]}
}

test_run_as_user_zero if {
	paths(p.errors(one({"runAsNonRoot": true, "runAsUser": 0}, {}))) == {["spec", "securityContext", "runAsUser"]}
	paths(p.errors(one({"runAsNonRoot": true, "runAsUser": 1000}, {"runAsUser": 0}))) == {["spec", "containers", 0, "securityContext", "runAsUser"]}
}

test_container_user_overrides_pod_root if {
	count(p.errors(one({"runAsNonRoot": true, "runAsUser": 0}, {"runAsUser": 1000}))) == 0
}

test_ephemeral_and_cronjob if {
	obj := {"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": {
		"securityContext": {"runAsNonRoot": true},
		"containers": [{"name": "a"}],
		"ephemeralContainers": [{"name": "debug", "securityContext": {"runAsUser": 0}}],
	}}}}}}
	paths(p.errors(obj)) == {["spec", "jobTemplate", "spec", "template", "spec", "ephemeralContainers", 0, "securityContext", "runAsUser"]}
}

test_wiring if {
	d := p.deny with input.kind as "Pod" with input.spec as {"containers": [{"name": "a"}]}
	paths(d) == {["spec", "containers", 0]}
}
