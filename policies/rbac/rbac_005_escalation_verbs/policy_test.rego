package kubegate.rbac.escalation_verbs_test

import rego.v1

import data.kubegate.rbac.escalation_verbs as p

crole(rules) := {"kind": "ClusterRole", "metadata": {"name": "r"}, "rules": rules}

rule(groups, resources, verbs) := {"apiGroups": groups, "resources": resources, "verbs": verbs}

paths(set) := {f.path | some f in set}

test_escalate_and_bind if {
	paths(p.errors(crole([rule(["rbac.authorization.k8s.io"], ["clusterroles"], ["escalate"])]))) == {["rules", 0]}
	paths(p.errors(crole([rule(["rbac.authorization.k8s.io"], ["roles"], ["bind"])]))) == {["rules", 0]}
}

test_bind_on_rolebindings_is_not_bind if {
	count(p.errors(crole([rule(["rbac.authorization.k8s.io"], ["rolebindings"], ["create"])]))) == 0
}

test_impersonate_all_targets if {
	every r in ["users", "groups", "serviceaccounts", "uids"] {
		count(p.errors(crole([rule([""], [r], ["impersonate"])]))) == 1
	}
	count(p.errors(crole([rule(["authentication.k8s.io"], ["userextras/scopes"], ["impersonate"])]))) == 1
}

test_wildcards_count if {
	count(p.errors(crole([rule(["*"], ["*"], ["*"])]))) == 2
	count(p.errors(crole([rule(["*"], ["clusterroles"], ["*"])]))) == 1
}

test_read_only_rbac_passes if {
	count(p.errors(crole([rule(["rbac.authorization.k8s.io"], ["clusterroles", "roles"], ["get", "list"])]))) == 0
}

test_allowed_roles if {
	count(p.errors(crole([rule([""], ["users"], ["impersonate"])]))) == 0 with data.params as {"RBAC-005": {"allowed_roles": ["r"]}}
}

test_wiring if {
	d := p.deny with input.kind as "Role" with input.rules as [rule([""], ["serviceaccounts"], ["impersonate"])]
	paths(d) == {["rules", 0]}
}
