# METADATA
# title: Binding grants cluster-admin
# description: >-
#   A ClusterRoleBinding to the ClusterRole `cluster-admin`, or to a ClusterRole in the repository
#   that grants `*` verbs on `*` resources in `*` API groups, makes its subjects superusers
#   (error). A RoleBinding to such a role is a warning: it is limited to one namespace and is the
#   documented Flux multi-tenancy pattern for tenant reconcilers. Bindings whose subjects are all
#   ServiceAccounts of a platform namespace (default `flux-system`, which reconciles as
#   cluster-admin by design) are not reported.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/security/rbac-good-practices/
#     description: Kubernetes RBAC good practices (CIS 5.1.1)
#   - ref: https://github.com/fluxcd/flux2-multi-tenancy
#     description: Flux multi-tenancy reference (tenant RoleBinding to cluster-admin)
# custom:
#   id: RBAC-002
#   name: cluster-admin-binding
#   kinds: [ClusterRoleBinding, RoleBinding]
#   severity: error
#   remediation: >-
#     Bind a role that lists only the needed permissions. For a tenant reconciler, use a
#     RoleBinding in the tenant namespace. List legitimate bindings in
#     `policies.params.RBAC-002.allowed_bindings` or their subjects in `allowed_subjects`
#     (`Kind:namespace:name`, `Kind::name` for cluster-scoped subjects).
#   params: [allowed_bindings, allowed_subjects, platform_namespaces]
package kubegate.rbac.cluster_admin_binding

import rego.v1

import data.lib.k8s
import data.lib.rbac

id := "RBAC-002"

deny contains f if some f in errors(input)

warn contains f if some f in warnings(input)

errors(obj) := {f |
	obj.kind == "ClusterRoleBinding"
	_superuser_role(obj)
	_reported(obj)
	f := {
		"msg": concat("", ["ClusterRoleBinding '", k8s.name(obj), "' grants cluster-wide superuser rights (role '", obj.roleRef.name, "')"]),
		"path": ["roleRef", "name"],
	}
}

warnings(obj) := {f |
	obj.kind == "RoleBinding"
	_superuser_role(obj)
	_reported(obj)
	not k8s.namespace(obj) in _platform_namespaces
	f := {
		"msg": concat("", ["RoleBinding '", k8s.name(obj), "' grants superuser rights in its namespace (role '", obj.roleRef.name, "')"]),
		"path": ["roleRef", "name"],
	}
}

_platform_namespaces := k8s.param(id, "platform_namespaces", ["flux-system"])

_superuser_role(obj) if {
	obj.roleRef.kind == "ClusterRole"
	obj.roleRef.name == "cluster-admin"
}

# A role defined in the repository that grants everything is as good as cluster-admin.
_superuser_role(obj) if {
	some role in k8s.resources_named(obj.roleRef.kind, obj.roleRef.name)
	_same_scope(role, obj)
	some x in rbac.rules(role)

	# grants(rule, {"*"}, {"*"}, {"*"}) holds exactly when each field lists "*": check those alone.
	"*" in rbac.field(x.rule, "verbs")
	"*" in rbac.field(x.rule, "resources")
	"*" in rbac.field(x.rule, "apiGroups")
}

_same_scope(role, _) if role.kind == "ClusterRole"

_same_scope(role, binding) if {
	role.kind == "Role"
	k8s.namespace(role) == k8s.namespace(binding)
}

_reported(obj) if {
	not k8s.name(obj) in k8s.param(id, "allowed_bindings", [])
	not _all_subjects_allowed(obj)
}

_all_subjects_allowed(obj) if {
	subjects := object.get(obj, "subjects", [])
	is_array(subjects)
	count(subjects) > 0
	every s in subjects {
		_subject_allowed(s)
	}
}

_subject_allowed(s) if {
	s.kind == "ServiceAccount"
	object.get(s, "namespace", "") in _platform_namespaces
}

_subject_allowed(s) if {
	is_object(s)
	key := concat(":", [k8s.text(object.get(s, "kind", "")), k8s.text(object.get(s, "namespace", "")), k8s.text(object.get(s, "name", ""))])
	key in k8s.param(id, "allowed_subjects", [])
}
