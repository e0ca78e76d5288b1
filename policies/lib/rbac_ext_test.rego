package lib.rbac_ext_test

import rego.v1

import data.lib.rbac_ext

test_selector_match_labels if {
	rbac_ext.selector_matches({"matchLabels": {"a": "1"}}, {"a": "1", "b": "2"})
	not rbac_ext.selector_matches({"matchLabels": {"a": "1"}}, {"a": "2"})
	not rbac_ext.selector_matches({"matchLabels": {"a": "1"}}, {})
}

# An empty selector selects every object, as the API server reads it.
test_empty_selector_matches_everything if {
	rbac_ext.selector_matches({}, {})
	rbac_ext.selector_matches({}, {"x": "y"})
}

test_selector_expressions if {
	rbac_ext.selector_matches({"matchExpressions": [{"key": "a", "operator": "In", "values": ["1", "2"]}]}, {"a": "2"})
	not rbac_ext.selector_matches({"matchExpressions": [{"key": "a", "operator": "In", "values": ["1"]}]}, {})
	rbac_ext.selector_matches({"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["1"]}]}, {})
	not rbac_ext.selector_matches({"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["1"]}]}, {"a": "1"})
	rbac_ext.selector_matches({"matchExpressions": [{"key": "a", "operator": "Exists"}]}, {"a": ""})
	not rbac_ext.selector_matches({"matchExpressions": [{"key": "a", "operator": "DoesNotExist"}]}, {"a": ""})
	not rbac_ext.selector_matches({"matchExpressions": [{"key": "a", "operator": "Bogus"}]}, {"a": ""})
}

test_malformed_selectors_do_not_crash if {
	not rbac_ext.selector_matches("nope", {})
	rbac_ext.selector_matches({"matchLabels": "nope", "matchExpressions": 3}, {})
}

aggregator := {
	"kind": "ClusterRole", "metadata": {"name": "monitoring"},
	"aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"example.com/aggregate-to-monitoring": "true"}}]},
}

agg_part(n, labels, rules) := {"kind": "ClusterRole", "metadata": {"name": n, "labels": labels}, "rules": rules}

test_effective_rules_union if {
	a := agg_part("a", {"example.com/aggregate-to-monitoring": "true"}, [{"resources": ["pods"], "verbs": ["get"]}])
	b := agg_part("b", {"other": "true"}, [{"resources": ["secrets"], "verbs": ["get"]}])
	res := [aggregator, a, b]
	rbac_ext.effective_rules(aggregator) == [{"resources": ["pods"], "verbs": ["get"]}] with data.kubegate.resources as res
	rbac_ext.effective_rules(aggregator) == [] with data.kubegate.resources as []
}

test_effective_rules_follow_chains if {
	mid := object.union(agg_part("mid", {"example.com/aggregate-to-monitoring": "true"}, []), {"aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"leaf": "true"}}]}})
	leaf := agg_part("leaf", {"leaf": "true"}, [{"resources": ["nodes"], "verbs": ["list"]}])
	res := [aggregator, mid, leaf]
	rbac_ext.effective_rules(aggregator) == [{"resources": ["nodes"], "verbs": ["list"]}] with data.kubegate.resources as res
}

test_role_never_aggregates_itself if {
	self := object.union(aggregator, {"metadata": {"name": "monitoring", "labels": {"example.com/aggregate-to-monitoring": "true"}}, "rules": [{"verbs": ["get"]}]})
	res := [self]
	count(rbac_ext.aggregated_roles(self)) == 0 with data.kubegate.resources as res
}

test_source_files if {
	obj := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "r"}}
	src := [
		{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "namespace": "", "name": "r", "file": "tenants/a/rbac.yaml", "line": 1},
		{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "namespace": "", "name": "r", "file": "other.yaml", "line": 1},
	]
	rbac_ext.source_files(obj) == ["tenants/a/rbac.yaml"] with data.kubegate.sources as src
	rbac_ext.source_files(obj) == []
}

test_source_files_from_the_index if {
	obj := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "r"}}
	entry := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "namespace": "", "name": "r", "file": "tenants/a/rbac.yaml", "line": 1}
	idx := {"ClusterRole/r": [entry], "Role/r": [object.union(entry, {"kind": "Role", "file": "other.yaml"})]}
	rbac_ext.source_files(obj) == ["tenants/a/rbac.yaml"] with data.kubegate.source_index as idx
}

test_file_suffixes if {
	rbac_ext.file_suffixes("./a/b/c.yaml") == ["a/b/c.yaml", "b/c.yaml", "c.yaml"]
	rbac_ext.file_suffixes("a\\b.yaml") == ["a/b.yaml", "b.yaml"]
	rbac_ext.file_suffixes("") == []
}

test_file_matches_globs_at_directory_boundaries if {
	rbac_ext.file_matches_globs("tenants/dev/rbac.yaml", ["tenants/**"])
	rbac_ext.file_matches_globs("../fleet/tenants/dev/rbac.yaml", ["tenants/**"])
	not rbac_ext.file_matches_globs("mytenants/dev/rbac.yaml", ["tenants/**"])
	not rbac_ext.file_matches_globs("infrastructure/rbac.yaml", ["tenants/**"])
	not rbac_ext.file_matches_globs("tenants/dev/rbac.yaml", [3])
}

test_null_cluster_role_selector_is_empty if {
	agg := {"kind": "ClusterRole", "metadata": {"name": "agg"}, "aggregationRule": {"clusterRoleSelectors": [null]}}
	res := [agg, agg_part("x", {}, [])]
	count(rbac_ext.aggregated_roles(agg)) == 1 with data.kubegate.resources as res
}

test_api_groups if {
	rbac_ext.rbac_api({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role"})
	rbac_ext.rbac_api({"kind": "Role"})
	not rbac_ext.rbac_api({"apiVersion": "example.com/v1", "kind": "Role"})
	rbac_ext.core_api({"apiVersion": "v1", "kind": "ServiceAccount"})
	rbac_ext.core_api({"kind": "ServiceAccount"})
	not rbac_ext.core_api({"apiVersion": "talos.dev/v1alpha1", "kind": "ServiceAccount"})
}
