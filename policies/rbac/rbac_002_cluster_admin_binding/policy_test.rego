package kubegate.rbac.cluster_admin_binding_test

import rego.v1

import data.kubegate.rbac.cluster_admin_binding as p

binding(kind, ns, role_kind, role, subjects) := {
	"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind,
	"metadata": {"name": "b", "namespace": ns},
	"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role},
	"subjects": subjects,
}

user := [{"kind": "User", "name": "alice", "apiGroup": "rbac.authorization.k8s.io"}]

flux_sa := [
	{"kind": "ServiceAccount", "name": "kustomize-controller", "namespace": "flux-system"},
	{"kind": "ServiceAccount", "name": "helm-controller", "namespace": "flux-system"},
]

paths(set) := {f.path | some f in set}

test_cluster_role_binding_to_cluster_admin_is_error if {
	obj := binding("ClusterRoleBinding", "", "ClusterRole", "cluster-admin", user)
	paths(p.errors(obj)) == {["roleRef", "name"]}
	count(p.warnings(obj)) == 0
}

test_role_binding_to_cluster_admin_is_warning if {
	obj := binding("RoleBinding", "team-a", "ClusterRole", "cluster-admin", [{"kind": "ServiceAccount", "name": "team-a", "namespace": "team-a"}])
	count(p.errors(obj)) == 0
	paths(p.warnings(obj)) == {["roleRef", "name"]}
}

test_role_named_cluster_admin_is_not_the_cluster_role if {
	# roleRef.kind decides which role is meant: a namespaced Role called cluster-admin is not it.
	count(p.warnings(binding("RoleBinding", "team-a", "Role", "cluster-admin", user))) == 0
}

test_flux_system_reconcilers_exempt_by_default if {
	count(p.errors(binding("ClusterRoleBinding", "", "ClusterRole", "cluster-admin", flux_sa))) == 0
}

test_one_foreign_subject_is_enough if {
	obj := binding("ClusterRoleBinding", "", "ClusterRole", "cluster-admin", array.concat(flux_sa, user))
	count(p.errors(obj)) == 1
}

test_platform_namespaces_param if {
	obj := binding("ClusterRoleBinding", "", "ClusterRole", "cluster-admin", flux_sa)
	count(p.errors(obj)) == 1 with data.params as {"RBAC-002": {"platform_namespaces": []}}
}

test_no_subjects_is_still_reported if {
	count(p.errors(binding("ClusterRoleBinding", "", "ClusterRole", "cluster-admin", []))) == 1
}

test_allowed_bindings_and_subjects if {
	obj := binding("ClusterRoleBinding", "", "ClusterRole", "cluster-admin", user)
	count(p.errors(obj)) == 0 with data.params as {"RBAC-002": {"allowed_bindings": ["b"]}}
	count(p.errors(obj)) == 0 with data.params as {"RBAC-002": {"allowed_subjects": ["User::alice"]}}
	count(p.errors(obj)) == 1 with data.params as {"RBAC-002": {"allowed_subjects": ["User::bob"]}}
}

superrole := {
	"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "god"},
	"rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}],
}

test_repo_role_granting_everything if {
	obj := binding("ClusterRoleBinding", "", "ClusterRole", "god", user)
	count(p.errors(obj)) == 1 with data.kubegate.resources as [superrole]
	count(p.errors(obj)) == 0 with data.kubegate.resources as []
}

test_repo_role_with_narrow_rules_is_fine if {
	narrow := json.patch(superrole, [{"op": "replace", "path": "/rules/0/verbs", "value": ["get"]}])
	obj := binding("ClusterRoleBinding", "", "ClusterRole", "god", user)
	count(p.errors(obj)) == 0 with data.kubegate.resources as [narrow]
}

test_other_roles_fine if {
	count(p.errors(binding("ClusterRoleBinding", "", "ClusterRole", "view", user))) == 0
}

test_wiring if {
	d := p.deny with input.kind as "ClusterRoleBinding"
		with input.metadata as {"name": "b"}
		with input.roleRef as {"kind": "ClusterRole", "name": "cluster-admin"}
		with input.subjects as user
	paths(d) == {["roleRef", "name"]}
	w := p.warn with input.kind as "RoleBinding"
		with input.metadata as {"name": "b", "namespace": "t"}
		with input.roleRef as {"kind": "ClusterRole", "name": "cluster-admin"}
		with input.subjects as user
	paths(w) == {["roleRef", "name"]}
}
