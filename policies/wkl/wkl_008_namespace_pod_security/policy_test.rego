package kubegate.wkl.namespace_pod_security_test

import rego.v1

import data.kubegate.wkl.namespace_pod_security as p

paths(set) := {f.path | some f in set}

ns(labels) := {"kind": "Namespace", "metadata": {"name": "team-a", "labels": labels}}

enforce := "pod-security.kubernetes.io/enforce"

test_baseline_and_restricted_pass if {
	count(p.warnings(ns({enforce: "baseline"}))) == 0
	count(p.warnings(ns({enforce: "restricted"}))) == 0
}

test_privileged_or_invalid_level if {
	paths(p.warnings(ns({enforce: "privileged"}))) == {["metadata", "labels", enforce]}
	paths(p.warnings(ns({enforce: "Restricted"}))) == {["metadata", "labels", enforce]}
}

test_warn_label_does_not_enforce if {
	paths(p.warnings(ns({"pod-security.kubernetes.io/warn": "restricted"}))) == {["metadata", "labels"]}
}

test_no_labels if {
	paths(p.warnings({"kind": "Namespace", "metadata": {"name": "team-a"}})) == {["metadata"]}
}

test_min_level_restricted if {
	params := {"WKL-008": {"min_level": "restricted"}}
	count(p.warnings(ns({enforce: "baseline"}))) == 1 with data.params as params
	count(p.warnings(ns({enforce: "restricted"}))) == 0 with data.params as params
}

test_platform_namespaces if {
	count(p.warnings({"kind": "Namespace", "metadata": {"name": "flux-system"}})) == 0
	params := {"WKL-008": {"platform_namespaces": []}}
	count(p.warnings({"kind": "Namespace", "metadata": {"name": "flux-system"}})) == 1 with data.params as params
}

test_other_kinds_ignored if {
	count(p.warnings({"kind": "ConfigMap", "metadata": {"name": "x"}})) == 0
}

test_wiring if {
	w := p.warn with input.kind as "Namespace" with input.metadata as {"name": "team-a"}
	paths(w) == {["metadata"]}
}
