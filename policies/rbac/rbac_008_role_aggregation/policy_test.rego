package kubegate.rbac.role_aggregation_test

import rego.v1

import data.kubegate.rbac.role_aggregation as p

labelled(name, labels, rules) := {"kind": "ClusterRole", "metadata": {"name": name, "labels": labels}, "rules": rules}

aggregated(name, selectors) := {"kind": "ClusterRole", "metadata": {"name": name}, "aggregationRule": {"clusterRoleSelectors": selectors}, "rules": []}

paths(set) := {f.path | some f in set}

read_pods := [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]

test_builtin_aggregation_labels_are_errors if {
	every target in ["admin", "edit", "view"] {
		key := concat("", ["rbac.authorization.k8s.io/aggregate-to-", target])
		paths(p.errors(labelled("r", {key: "true"}, read_pods))) == {["metadata", "labels", key]}
	}
}

test_label_false_or_other_labels_pass if {
	count(p.errors(labelled("r", {"rbac.authorization.k8s.io/aggregate-to-edit": "false"}, read_pods))) == 0
	count(p.errors(labelled("r", {"example.com/aggregate-to-monitoring": "true"}, read_pods))) == 0
	count(p.errors({"kind": "Role", "metadata": {"name": "r", "labels": {"rbac.authorization.k8s.io/aggregate-to-edit": "true"}}})) == 0
}

test_unquoted_true_counts if {
	count(p.errors(labelled("r", {"rbac.authorization.k8s.io/aggregate-to-admin": true}, read_pods))) == 1
}

test_empty_selector_selects_everything if {
	obj := aggregated("agg", [{"matchLabels": {"a": "b"}}, {}])
	paths(p.errors(obj)) == {["aggregationRule", "clusterRoleSelectors", 1]}
	count(p.errors(aggregated("agg", [{"matchLabels": {}}]))) == 1
	count(p.errors(aggregated("agg", [{"matchLabels": {"a": "b"}}]))) == 0
}

test_aggregation_rule_is_warning if {
	obj := aggregated("agg", [{"matchLabels": {"team": "a"}}])
	paths(p.warnings(obj)) == {["aggregationRule"]}
	count(p.errors(obj)) == 0
}

# The union of the selected repo roles is evaluated: the warning names what it grants.
test_union_of_selected_roles_is_evaluated if {
	obj := aggregated("agg", [{"matchLabels": {"team": "a"}}])
	secrets := labelled("s", {"team": "a"}, [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["list"]}])
	exec := labelled("x", {"team": "a"}, [{"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}])
	unselected := labelled("u", {"team": "b"}, [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}])
	res := [obj, secrets, exec, unselected]
	msgs := {f.msg | some f in p.warnings(obj)} with data.kubegate.resources as res
	msgs == {"ClusterRole 'agg' is aggregated: its rules are the union of the 2 ClusterRole(s) of the repository its selectors match, and of any matching role added later; the union grants exec or attach into pods, read access to Secrets"}
}

test_union_wildcards if {
	obj := aggregated("agg", [{"matchExpressions": [{"key": "team", "operator": "Exists"}]}])
	god := labelled("g", {"team": "x"}, [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}])
	res := [obj, god]
	msgs := {f.msg | some f in p.warnings(obj)} with data.kubegate.resources as res
	count(msgs) == 1
	some m in msgs
	endswith(m, "'*'), exec or attach into pods, impersonate, read access to Secrets")
}

test_union_of_harmless_roles_has_no_note if {
	obj := aggregated("agg", [{"matchLabels": {"team": "a"}}])
	res := [obj, labelled("a", {"team": "a"}, read_pods)]
	msgs := {f.msg | some f in p.warnings(obj)} with data.kubegate.resources as res
	msgs == {"ClusterRole 'agg' is aggregated: its rules are the union of the 1 ClusterRole(s) of the repository its selectors match, and of any matching role added later"}
}

test_allowed_roles if {
	obj := object.union(aggregated("agg", [{}]), {"metadata": {"name": "agg", "labels": {"rbac.authorization.k8s.io/aggregate-to-view": "true"}}})
	count(p.errors(obj)) == 2
	count(p.errors(obj)) == 0 with data.params as {"RBAC-008": {"allowed_roles": ["agg"]}}
	count(p.warnings(obj)) == 0 with data.params as {"RBAC-008": {"allowed_roles": ["agg"]}}
}

test_malformed_does_not_crash if {
	count(p.errors({"kind": "ClusterRole", "metadata": {"name": "r", "labels": "x"}, "aggregationRule": "y"})) == 0
	count(p.warnings({"kind": "ClusterRole", "metadata": {"name": "r"}, "aggregationRule": {"clusterRoleSelectors": "y"}})) == 0
	count(p.errors(aggregated("agg", [null]))) == 1
}

test_wiring if {
	d := p.deny with input.kind as "ClusterRole"
		with input.metadata as {"name": "r", "labels": {"rbac.authorization.k8s.io/aggregate-to-edit": "true"}}
	paths(d) == {["metadata", "labels", "rbac.authorization.k8s.io/aggregate-to-edit"]}
	w := p.warn with input.kind as "ClusterRole"
		with input.metadata as {"name": "agg"}
		with input.aggregationRule as {"clusterRoleSelectors": [{"matchLabels": {"a": "b"}}]}
	paths(w) == {["aggregationRule"]}
}
