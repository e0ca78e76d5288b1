package kubegate.wkl.capabilities_test

import rego.v1

import data.kubegate.wkl.capabilities as p

pod(spec) := {"kind": "Pod", "metadata": {"name": "p"}, "spec": spec}

paths(set) := {f.path | some f in set}

caps(c) := pod({"containers": [{"name": "a", "securityContext": {"capabilities": c}}]})

test_hardened_is_clean if {
	obj := caps({"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]})
	count(p.errors(obj)) == 0
	count(p.warnings(obj)) == 0
}

test_beyond_baseline_is_error if {
	obj := caps({"drop": ["ALL"], "add": ["CHOWN", "SYS_ADMIN", "ALL"]})
	paths(p.errors(obj)) == {
		["spec", "containers", 0, "securityContext", "capabilities", "add", 1],
		["spec", "containers", 0, "securityContext", "capabilities", "add", 2],
	}
	# CHOWN is baseline: a restricted warning, not an error; SYS_ADMIN is not warned twice.
	paths(p.warnings(obj)) == {["spec", "containers", 0, "securityContext", "capabilities", "add", 0]}
}

test_prefix_and_case_are_normalised if {
	# A deny-list comparing "SYS_ADMIN" exactly misses these; runtimes grant them all.
	obj := caps({"drop": ["ALL"], "add": ["cap_sys_admin", "CAP_NET_RAW", "Sys_Ptrace", "cap_net_bind_service"]})
	count(p.errors(obj)) == 3
	count(p.warnings(obj)) == 0
}

test_drop_lacks_all if {
	paths(p.warnings(caps({"drop": ["NET_RAW"]}))) == {["spec", "containers", 0, "securityContext", "capabilities", "drop"]}
	paths(p.warnings(caps({"drop": ["all"]}))) == {["spec", "containers", 0, "securityContext", "capabilities", "drop"]}
	paths(p.warnings(caps({}))) == {["spec", "containers", 0, "securityContext", "capabilities"]}
	paths(p.warnings(pod({"containers": [{"name": "a"}]}))) == {["spec", "containers", 0]}
}

test_malformed_capabilities if {
	count(p.errors(caps("bogus"))) == 0
	count(p.errors(caps({"add": "SYS_ADMIN"}))) == 0
	count(p.errors(caps({"add": [5, null]}))) == 0
	paths(p.warnings(caps({"drop": "ALL"}))) == {["spec", "containers", 0, "securityContext", "capabilities", "drop"]}
}

test_baseline_profile_has_no_warnings if {
	obj := caps({"add": ["CHOWN"]})
	count(p.warnings(obj)) == 0 with data.params as {"WKL-006": {"profile": "baseline"}}
	count(p.errors(obj)) == 0 with data.params as {"WKL-006": {"profile": "baseline"}}
}

test_init_ephemeral_cronjob if {
	obj := {"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": {
		"initContainers": [{"name": "i", "securityContext": {"capabilities": {"drop": ["ALL"], "add": ["NET_ADMIN"]}}}],
		"ephemeralContainers": [{"name": "e", "securityContext": {"capabilities": {"drop": ["ALL"], "add": ["SYS_PTRACE"]}}}],
	}}}}}}
	paths(p.errors(obj)) == {
		["spec", "jobTemplate", "spec", "template", "spec", "initContainers", 0, "securityContext", "capabilities", "add", 0],
		["spec", "jobTemplate", "spec", "template", "spec", "ephemeralContainers", 0, "securityContext", "capabilities", "add", 0],
	}
}

test_windows_pod_exempt_from_restricted if {
	count(p.warnings(pod({"os": {"name": "windows"}, "containers": [{"name": "a"}]}))) == 0
}

test_wiring if {
	d := p.deny with input.kind as "Pod" with input.spec as {"containers": [{"name": "a", "securityContext": {"capabilities": {"add": ["SYS_ADMIN"]}}}]}
	paths(d) == {["spec", "containers", 0, "securityContext", "capabilities", "add", 0]}
	w := p.warn with input.kind as "Pod" with input.spec as {"containers": [{"name": "a"}]}
	paths(w) == {["spec", "containers", 0]}
}
