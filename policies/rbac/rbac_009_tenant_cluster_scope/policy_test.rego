package kubegate.rbac.tenant_cluster_scope_test

import rego.v1

import data.kubegate.rbac.tenant_cluster_scope as p

cluster_obj(kind) := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": {"name": "x"}}

source_at(kind, ns, file) := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "namespace": ns, "name": "x", "file": file, "line": 1}

paths(set) := {f.path | some f in set}

test_cluster_rbac_under_tenant_path if {
	every kind in ["ClusterRole", "ClusterRoleBinding"] {
		src := [source_at(kind, "", "tenants/dev-team/rbac.yaml")]
		paths(p.errors(cluster_obj(kind))) == {[]} with data.kubegate.sources as src
	}
}

# kubegate may run from a parent directory: the glob applies at any directory boundary.
test_path_prefix_does_not_matter if {
	src := [source_at("ClusterRole", "", "./fleet/tenants/dev-team/rbac.yaml")]
	count(p.errors(cluster_obj("ClusterRole"))) == 1 with data.kubegate.sources as src
	src2 := [source_at("ClusterRole", "", "fleet/mytenants/rbac.yaml")]
	count(p.errors(cluster_obj("ClusterRole"))) == 0 with data.kubegate.sources as src2
}

test_platform_paths_pass if {
	src := [source_at("ClusterRole", "", "infrastructure/rbac.yaml")]
	count(p.errors(cluster_obj("ClusterRole"))) == 0 with data.kubegate.sources as src
}

# The resource's own file is found by kind and name: another object of that name does not count.
test_source_matched_by_identity if {
	src := [source_at("Role", "", "tenants/a/rbac.yaml"), source_at("ClusterRoleBinding", "", "tenants/a/rbac.yaml")]
	count(p.errors(cluster_obj("ClusterRole"))) == 0 with data.kubegate.sources as src
}

test_namespaced_rbac_in_tenant_path_passes if {
	src := [source_at("RoleBinding", "apps", "tenants/a/rbac.yaml"), source_at("Namespace", "", "tenants/a/rbac.yaml")]
	rb := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "x", "namespace": "apps"}}
	count(p.errors(rb)) == 0 with data.kubegate.sources as src
}

test_no_sources_no_finding if {
	count(p.errors(cluster_obj("ClusterRole"))) == 0
}

test_tenant_path_globs_param if {
	src := [source_at("ClusterRole", "", "teams/blue/rbac.yaml")]
	count(p.errors(cluster_obj("ClusterRole"))) == 0 with data.kubegate.sources as src
	count(p.errors(cluster_obj("ClusterRole"))) == 1 with data.kubegate.sources as src with data.params as {"RBAC-009": {"tenant_path_globs": ["teams/*/*.yaml"]}}
	count(p.errors(cluster_obj("ClusterRole"))) == 0 with data.kubegate.sources as src with data.params as {"RBAC-009": {"tenant_path_globs": "teams/**"}}
}

test_flux_tenant_label if {
	obj := object.union(cluster_obj("ClusterRoleBinding"), {"metadata": {"name": "x", "labels": {"toolkit.fluxcd.io/tenant": "dev-team"}}})
	paths(p.errors(obj)) == {["metadata", "labels", "toolkit.fluxcd.io/tenant"]}
	ns := {"kind": "Namespace", "metadata": {"name": "apps", "labels": {"toolkit.fluxcd.io/tenant": "dev-team"}}}
	count(p.errors(ns)) == 0
}

test_wiring if {
	src := [source_at("ClusterRole", "", "tenants/a/rbac.yaml")]
	d := p.deny with input.apiVersion as "rbac.authorization.k8s.io/v1"
		with input.kind as "ClusterRole"
		with input.metadata as {"name": "x"}
		with data.kubegate.sources as src
	paths(d) == {[]}
}
