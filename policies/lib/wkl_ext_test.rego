package lib.wkl_ext_test

import rego.v1

import data.lib.k8s
import data.lib.wkl_ext

wx_ctr(pod_sc, c) := x if {
	some x in k8s.containers({"kind": "Pod", "spec": {"securityContext": pod_sc, "containers": [c]}})
}

test_container_overrides_pod if {
	c := wx_ctr({"runAsNonRoot": true}, {"name": "a", "securityContext": {"runAsNonRoot": false}})
	wkl_ext.effective(c, "runAsNonRoot") == {"value": false, "path": ["spec", "containers", 0, "securityContext", "runAsNonRoot"]}
}

test_pod_value_inherited if {
	c := wx_ctr({"runAsNonRoot": true}, {"name": "a"})
	wkl_ext.effective(c, "runAsNonRoot") == {"value": true, "path": ["spec", "securityContext", "runAsNonRoot"]}
}

test_null_container_value_falls_through_to_pod if {
	c := wx_ctr({"runAsNonRoot": true}, {"name": "a", "securityContext": {"runAsNonRoot": null}})
	wkl_ext.effective(c, "runAsNonRoot").path == ["spec", "securityContext", "runAsNonRoot"]
}

test_unset_is_undefined if {
	c := wx_ctr(null, {"name": "a", "securityContext": "bogus"})
	not wkl_ext.effective(c, "runAsNonRoot")
	wkl_ext.anchor(c) == ["spec", "containers", 0]
}

test_anchor_security_context if {
	c := wx_ctr({}, {"name": "a", "securityContext": {}})
	wkl_ext.anchor(c) == ["spec", "containers", 0, "securityContext"]
}

test_windows_pod if {
	wkl_ext.windows_pod({"os": {"name": "windows"}})
	not wkl_ext.windows_pod({"os": {"name": "linux"}})
	not wkl_ext.windows_pod({})
}
