package kubegate.wkl.privilege_escalation_test

import rego.v1

import data.kubegate.wkl.privilege_escalation as p

pod(spec) := {"kind": "Pod", "metadata": {"name": "p"}, "spec": spec}

paths(set) := {f.path | some f in set}

ape(v) := pod({"containers": [{"name": "a", "securityContext": {"allowPrivilegeEscalation": v}}]})

test_false_passes if {
	count(p.errors(ape(false))) == 0
}

test_true_points_at_field if {
	paths(p.errors(ape(true))) == {["spec", "containers", 0, "securityContext", "allowPrivilegeEscalation"]}
}

test_absent_is_not_false if {
	# `not sc.allowPrivilegeEscalation` would pass this container: absent must fail like true.
	obj := pod({"containers": [{"name": "a"}, {"name": "b", "securityContext": {"runAsNonRoot": true}}]})
	paths(p.errors(obj)) == {["spec", "containers", 0], ["spec", "containers", 1, "securityContext"]}
}

test_null_and_string_are_not_false if {
	paths(p.errors(ape(null))) == {["spec", "containers", 0, "securityContext"]}
	paths(p.errors(ape("false"))) == {["spec", "containers", 0, "securityContext", "allowPrivilegeEscalation"]}
}

test_init_and_ephemeral_containers if {
	obj := pod({
		"containers": [{"name": "a", "securityContext": {"allowPrivilegeEscalation": false}}],
		"initContainers": [{"name": "i"}],
		"ephemeralContainers": [{"name": "e"}],
	})
	paths(p.errors(obj)) == {["spec", "initContainers", 0], ["spec", "ephemeralContainers", 0]}
}

test_pod_level_setting_does_not_exist if {
	# There is no pod-level allowPrivilegeEscalation; a misplaced one must not excuse the container.
	obj := pod({"securityContext": {"allowPrivilegeEscalation": false}, "containers": [{"name": "a"}]})
	paths(p.errors(obj)) == {["spec", "containers", 0]}
}

test_cronjob if {
	obj := {"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "a"}]}}}}}}
	paths(p.errors(obj)) == {["spec", "jobTemplate", "spec", "template", "spec", "containers", 0]}
}

test_windows_pod_skipped if {
	count(p.errors(pod({"os": {"name": "windows"}, "containers": [{"name": "a"}]}))) == 0
}

test_wiring if {
	d := p.deny with input.kind as "Pod" with input.spec as {"containers": [{"name": "a"}]}
	paths(d) == {["spec", "containers", 0]}
}
