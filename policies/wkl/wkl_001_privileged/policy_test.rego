package kubegate.wkl.privileged_test

import rego.v1

import data.kubegate.wkl.privileged as p

pod(spec) := {"kind": "Pod", "metadata": {"name": "p"}, "spec": spec}

paths(set) := {f.path | some f in set}

test_privileged_any_container_kind if {
	obj := pod({
		"containers": [{"name": "a", "image": "a:1", "securityContext": {"privileged": true}}],
		"initContainers": [{"name": "i", "image": "i:1", "securityContext": {"privileged": true}}],
	})
	paths(p.errors(obj)) == {
		["spec", "containers", 0, "securityContext", "privileged"],
		["spec", "initContainers", 0, "securityContext", "privileged"],
	}
}

test_false_or_absent_passes if {
	count(p.errors(pod({"containers": [{"name": "a", "securityContext": {"privileged": false}}, {"name": "b"}]}))) == 0
}

test_string_true_is_not_boolean if {
	# The loader hands over what the API server decodes; a quoted "true" is rejected by the schema check.
	count(p.errors(pod({"containers": [{"name": "a", "securityContext": {"privileged": "true"}}]}))) == 0
}

test_host_process_container_and_pod if {
	obj := pod({
		"securityContext": {"windowsOptions": {"hostProcess": true}},
		"containers": [{"name": "a", "securityContext": {"windowsOptions": {"hostProcess": true}}}],
	})
	paths(p.errors(obj)) == {
		["spec", "securityContext", "windowsOptions", "hostProcess"],
		["spec", "containers", 0, "securityContext", "windowsOptions", "hostProcess"],
	}
}

test_deployment_template if {
	obj := {"kind": "DaemonSet", "spec": {"template": {"spec": {"containers": [{"name": "a", "securityContext": {"privileged": true}}]}}}}
	count(p.errors(obj)) == 1
}

test_exempt_images if {
	obj := pod({"containers": [{"name": "a", "image": "registry.k8s.io/csi/driver:1", "securityContext": {"privileged": true}}]})
	count(p.errors(obj)) == 0 with data.params as {"WKL-001": {"exempt_images": ["registry.k8s.io/csi/"]}}
}

test_wiring if {
	d := p.deny with input.kind as "Pod" with input.spec as {"containers": [{"name": "a", "securityContext": {"privileged": true}}]}
	paths(d) == {["spec", "containers", 0, "securityContext", "privileged"]}
}
