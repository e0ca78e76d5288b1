# METADATA
# title: Binding to an anonymous or built-in system group
# description: >-
#   A RoleBinding or ClusterRoleBinding subject is `system:anonymous`, `system:unauthenticated`
#   or `system:masters` (which bypasses RBAC entirely), or `system:authenticated` (every identity
#   with any credential, including every ServiceAccount of every namespace) unless
#   `disallow_authenticated` is false.
# related_resources:
#   - ref: https://kubernetes.io/docs/reference/access-authn-authz/rbac/#default-roles-and-role-bindings
#     description: Kubernetes RBAC default groups (CIS 5.1.7)
#   - ref: https://open-policy-agent.github.io/gatekeeper-library/website/validation/block-endpoint-edit-default-role
#     description: Gatekeeper disallowanonymous (disallowAuthenticated)
# custom:
#   id: RBAC-003
#   name: system-group-subject
#   kinds: [ClusterRoleBinding, RoleBinding]
#   severity: error
#   remediation: >-
#     Bind named users, groups or ServiceAccounts instead. A binding that must stay goes in
#     `policies.params.RBAC-003.allowed_roles` (by the role it grants).
#   params: [allowed_roles, disallow_authenticated]
package kubegate.rbac.system_group_subjects

import rego.v1

import data.lib.k8s
import data.lib.rbac

id := "RBAC-003"

deny contains f if some f in errors(input)

always_denied := {"system:anonymous", "system:unauthenticated", "system:masters"}

errors(obj) := {f |
	some i
	obj.kind in rbac.binding_kinds
	not object.get(obj, ["roleRef", "name"], "") in k8s.param(id, "allowed_roles", [])
	subjects := object.get(obj, "subjects", [])
	is_array(subjects)
	s := subjects[i]
	is_object(s) # `subjects: [true]` is SCHEMA-001's to report (issue 13 row 4)
	name := object.get(s, "name", "")
	is_string(name)
	_denied(lower(name))
	f := {
		"msg": concat("", [obj.kind, " '", k8s.name(obj), "' subject ", format_int(i, 10), " is a built-in system group or anonymous identity"]),
		"path": ["subjects", i, "name"],
	}
}

_denied(name) if name in always_denied

_denied(name) if {
	name == "system:authenticated"
	k8s.param(id, "disallow_authenticated", true) == true
}
