package kubegate.rbac.wildcard_rules_test

import rego.v1

import data.kubegate.rbac.wildcard_rules as p

role(kind, rules) := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": {"name": "r"}, "rules": rules}

rule(groups, resources, verbs) := {"apiGroups": groups, "resources": resources, "verbs": verbs}

paths(set) := {f.path | some f in set}

test_wildcard_verb_is_error if {
	paths(p.errors(role("Role", [rule([""], ["pods"], ["*"])]))) == {["rules", 0, "verbs", 0]}
}

test_wildcard_resource_is_error if {
	paths(p.errors(role("ClusterRole", [rule(["apps"], ["deployments", "*"], ["get"])]))) == {["rules", 0, "resources", 1]}
}

test_every_rule_not_just_first if {
	obj := role("ClusterRole", [rule([""], ["pods"], ["get"]), rule([""], ["*"], ["*"])])
	paths(p.errors(obj)) == {["rules", 1, "resources", 0], ["rules", 1, "verbs", 0]}
}

test_api_group_only_is_warning if {
	obj := role("Role", [rule(["*"], ["pods"], ["get"])])
	count(p.errors(obj)) == 0
	paths(p.warnings(obj)) == {["rules", 0, "apiGroups", 0]}
}

test_api_group_with_wildcard_verbs_not_double_reported if {
	count(p.warnings(role("Role", [rule(["*"], ["*"], ["*"])]))) == 0
}

test_non_resource_urls_warning if {
	obj := role("ClusterRole", [{"nonResourceURLs": ["*"], "verbs": ["get"]}])
	paths(p.warnings(obj)) == {["rules", 0, "nonResourceURLs", 0]}
	count(p.errors(obj)) == 0
}

test_explicit_rules_pass if {
	obj := role("ClusterRole", [rule(["apps"], ["deployments"], ["get", "list", "watch"])])
	count(p.errors(obj)) == 0
	count(p.warnings(obj)) == 0
}

test_bindings_and_other_kinds_ignored if {
	count(p.errors({"kind": "RoleBinding", "rules": [rule([""], ["*"], ["*"])]})) == 0
}

test_allowed_roles_param if {
	count(p.errors(role("ClusterRole", [rule([""], ["*"], ["*"])]))) == 0 with data.params as {"RBAC-001": {"allowed_roles": ["r"]}}
	count(p.errors(role("ClusterRole", [rule([""], ["*"], ["*"])]))) == 2 with data.params as {"RBAC-001": {"allowed_roles": ["other"]}}
}

test_malformed_rules_do_not_crash if {
	count(p.errors(role("Role", "nope"))) == 0
	count(p.errors(role("Role", [{"verbs": "*"}]))) == 0
}

# The deny/warn rules are wired to input (partial `with input.<key>` keeps regopy 1.5.2 working).
test_wiring if {
	d := p.deny with input.kind as "Role" with input.rules as [rule([""], ["pods"], ["*"])]
	paths(d) == {["rules", 0, "verbs", 0]}
	w := p.warn with input.kind as "Role" with input.rules as [rule(["*"], ["pods"], ["get"])]
	paths(w) == {["rules", 0, "apiGroups", 0]}
}

# issue 10: the second rule was reported as "rule 1".
test_rule_numbers_count_from_one if {
	msgs := {f.msg | some f in p.errors(role("ClusterRole", [rule([""], ["pods"], ["get"]), rule([""], ["*"], ["get"])]))}
	msgs == {"ClusterRole 'r' rule 2 grants every resource ('*')"}
}
