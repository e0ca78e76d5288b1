package kubegate.rbac.secret_access_test

import rego.v1

import data.kubegate.rbac.secret_access as p

role(kind, rules) := {"kind": kind, "metadata": {"name": "r"}, "rules": rules}

rule(groups, resources, verbs) := {"apiGroups": groups, "resources": resources, "verbs": verbs}

paths(set) := {f.path | some f in set}

test_cluster_role_reading_secrets_is_error if {
	every v in ["get", "list", "watch", "*"] {
		paths(p.errors(role("ClusterRole", [rule([""], ["pods"], ["get"]), rule([""], ["secrets"], [v])]))) == {["rules", 1]}
	}
}

test_role_is_warning if {
	obj := role("Role", [rule([""], ["secrets"], ["list"])])
	count(p.errors(obj)) == 0
	paths(p.warnings(obj)) == {["rules", 0]}
}

test_wildcards_count if {
	count(p.errors(role("ClusterRole", [rule(["*"], ["secrets"], ["get"])]))) == 1
	count(p.errors(role("ClusterRole", [rule([""], ["*"], ["get"])]))) == 1
}

test_other_groups_and_verbs_pass if {
	count(p.errors(role("ClusterRole", [rule(["apps"], ["secrets"], ["get"])]))) == 0
	count(p.errors(role("ClusterRole", [rule([""], ["secrets"], ["create", "delete"])]))) == 0
}

test_resource_names_narrow_get_only if {
	named := object.union(rule([""], ["secrets"], ["get"]), {"resourceNames": ["tls"]})
	count(p.errors(role("ClusterRole", [named]))) == 0
	listing := object.union(rule([""], ["secrets"], ["get", "list"]), {"resourceNames": ["tls"]})
	count(p.errors(role("ClusterRole", [listing]))) == 1
}

test_allowed_roles if {
	count(p.errors(role("ClusterRole", [rule([""], ["secrets"], ["get"])]))) == 0 with data.params as {"RBAC-004": {"allowed_roles": ["r"]}}
}

test_wiring if {
	d := p.deny with input.kind as "ClusterRole" with input.rules as [rule([""], ["secrets"], ["get"])]
	paths(d) == {["rules", 0]}
	w := p.warn with input.kind as "Role" with input.rules as [rule([""], ["secrets"], ["get"])]
	paths(w) == {["rules", 0]}
}
