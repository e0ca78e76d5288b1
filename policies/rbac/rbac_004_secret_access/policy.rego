# METADATA
# title: Role can read Secrets
# description: >-
#   A rule grants get, list or watch on core `secrets` (wildcards included: `*` verbs, resources or
#   apiGroups). In a ClusterRole this reads every Secret of the cluster (error); in a Role, every
#   Secret of the namespace (warning). `list` and `watch` return Secret contents too, and
#   `resourceNames` does not restrict them; a rule limited by `resourceNames` to `get` only is fine.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/security/rbac-good-practices/#listing-secrets
#     description: Kubernetes RBAC good practices (CIS 5.1.2)
#   - ref: https://docs.kubelinter.io/#/generated/checks?id=access-to-secrets
#     description: kube-linter access-to-secrets
# custom:
#   id: RBAC-004
#   name: secret-access
#   kinds: [ClusterRole, Role]
#   severity: error
#   remediation: >-
#     Mount the Secret into the workload instead, or grant `get` with `resourceNames` naming the
#     Secrets needed. Roles that must read Secrets go in `policies.params.RBAC-004.allowed_roles`.
#   params: [allowed_roles]
package kubegate.rbac.secret_access

import rego.v1

import data.lib.k8s
import data.lib.rbac

id := "RBAC-004"

deny contains f if some f in errors(input)

warn contains f if some f in warnings(input)

errors(obj) := _findings(obj, "ClusterRole", "every Secret in the cluster")

warnings(obj) := _findings(obj, "Role", "every Secret in its namespace")

read_verbs := {"get", "list", "watch"}

_findings(obj, kind, scope) := {f |
	obj.kind == kind
	not k8s.name(obj) in k8s.param(id, "allowed_roles", [])
	some x in rbac.rules(obj)
	rbac.grants(x.rule, {""}, {"secrets"}, read_verbs)
	not _narrowed_by_names(x.rule)
	f := {
		"msg": concat("", [kind, " '", k8s.name(obj), "' rule ", format_int(x.path[1], 10), " can read ", scope]),
		"path": x.path,
	}
}

# get with resourceNames reads only the named Secrets; list/watch (or *) ignore resourceNames.
_narrowed_by_names(rule) if {
	count(rbac.field(rule, "resourceNames")) > 0
	not rbac.verb_matches(rule, {"list", "watch"})
}
