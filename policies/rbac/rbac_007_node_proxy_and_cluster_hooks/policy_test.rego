package kubegate.rbac.node_proxy_and_cluster_hooks_test

import rego.v1

import data.kubegate.rbac.node_proxy_and_cluster_hooks as p

role(kind, rules) := {"kind": kind, "metadata": {"name": "r"}, "rules": rules}

rule(groups, resources, verbs) := {"apiGroups": groups, "resources": resources, "verbs": verbs}

paths(set) := {f.path | some f in set}

test_nodes_proxy_any_verb if {
	every v in ["get", "list", "create", "watch", "*"] {
		paths(p.errors(role("ClusterRole", [rule([""], ["nodes"], ["get"]), rule([""], ["nodes/proxy"], [v])]))) == {["rules", 1]}
	}
}

# Kyverno's policy only looks at apiGroup "": a wildcard group or `*/proxy` must count too.
test_nodes_proxy_wildcards if {
	count(p.errors(role("ClusterRole", [rule(["*"], ["nodes/proxy"], ["get"])]))) == 1
	count(p.errors(role("ClusterRole", [rule([""], ["*/proxy"], ["get"])]))) == 1
	count(p.errors(role("ClusterRole", [{"resources": ["nodes/proxy"], "verbs": ["get"]}]))) == 1
}

test_nodes_metrics_and_empty_verbs_pass if {
	count(p.errors(role("ClusterRole", [rule([""], ["nodes", "nodes/metrics", "nodes/stats"], ["get", "list"])]))) == 0
	count(p.errors(role("ClusterRole", [rule([""], ["nodes/proxy"], [])]))) == 0
}

test_service_account_token if {
	count(p.errors(role("Role", [rule([""], ["serviceaccounts/token"], ["create"])]))) == 1
	count(p.errors(role("Role", [rule([""], ["serviceaccounts"], ["create", "get"])]))) == 0
}

test_csr_approval if {
	count(p.errors(role("ClusterRole", [rule(["certificates.k8s.io"], ["certificatesigningrequests/approval"], ["update"])]))) == 1
	count(p.errors(role("ClusterRole", [rule(["certificates.k8s.io"], ["signers"], ["approve"])]))) == 1
	count(p.errors(role("ClusterRole", [rule(["certificates.k8s.io"], ["certificatesigningrequests"], ["create", "get"])]))) == 0
	count(p.errors(role("ClusterRole", [rule([""], ["certificatesigningrequests/approval"], ["update"])]))) == 0
}

test_webhook_configurations if {
	every r in ["validatingwebhookconfigurations", "mutatingwebhookconfigurations"] {
		count(p.errors(role("ClusterRole", [rule(["admissionregistration.k8s.io"], [r], ["patch"])]))) == 1
		count(p.errors(role("ClusterRole", [rule(["admissionregistration.k8s.io"], [r], ["get", "list", "watch"])]))) == 0
	}
}

test_persistent_volumes_warning if {
	obj := role("ClusterRole", [rule([""], ["persistentvolumes"], ["create"])])
	count(p.errors(obj)) == 0
	paths(p.warnings(obj)) == {["rules", 0]}
	count(p.warnings(role("ClusterRole", [rule([""], ["persistentvolumeclaims"], ["create"])]))) == 0
}

test_one_finding_per_rule if {
	obj := role("ClusterRole", [rule(["*"], ["*"], ["*"])])
	count(p.errors(obj)) == 1
	count(p.warnings(obj)) == 1
}

test_allowed_roles if {
	obj := role("ClusterRole", [rule([""], ["nodes/proxy"], ["get"])])
	count(p.errors(obj)) == 0 with data.params as {"RBAC-007": {"allowed_roles": ["r"]}}
}

test_malformed_ignored if {
	count(p.errors(role("ClusterRole", [{"resources": ["nodes/proxy"], "verbs": "get"}]))) == 0
	count(p.errors({"kind": "ClusterRoleBinding", "rules": [rule([""], ["nodes/proxy"], ["get"])]})) == 0
}

test_wiring if {
	d := p.deny with input.kind as "ClusterRole" with input.rules as [rule([""], ["nodes/proxy"], ["get"])]
	paths(d) == {["rules", 0]}
	w := p.warn with input.kind as "ClusterRole" with input.rules as [rule([""], ["persistentvolumes"], ["create"])]
	paths(w) == {["rules", 0]}
}
