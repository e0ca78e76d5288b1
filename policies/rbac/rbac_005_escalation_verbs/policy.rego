# METADATA
# title: Role grants escalate, bind or impersonate
# description: >-
#   A rule grants `escalate` or `bind` on roles/clusterroles (rbac.authorization.k8s.io), which lets
#   the holder grant permissions it does not have, or `impersonate` on users, groups,
#   serviceaccounts, uids or userextras, which lets it act as anyone. Wildcard verbs, resources and
#   apiGroups count.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/security/rbac-good-practices/#escalate-verb
#     description: Kubernetes RBAC good practices (CIS 5.1.8)
#   - ref: https://kyverno.io/policies/other/restrict-escalation-verbs-roles/restrict-escalation-verbs-roles/
#     description: Kyverno restrict-escalation-verbs-roles
# custom:
#   id: RBAC-005
#   name: escalation-verbs
#   kinds: [Role, ClusterRole]
#   severity: error
#   remediation: >-
#     Remove escalate, bind and impersonate. Controllers that manage RBAC go in
#     `policies.params.RBAC-005.allowed_roles`.
#   params: [allowed_roles]
package kubegate.rbac.escalation_verbs

import rego.v1

import data.lib.k8s
import data.lib.rbac

id := "RBAC-005"

deny contains f if some f in errors(input)

errors(obj) := {f |
	some what
	not k8s.name(obj) in k8s.param(id, "allowed_roles", [])
	some x in rbac.rules(obj)

	# A PolicyRule on none of the resources any grant names matches no grant: one test for most.
	rbac.resources_match(rbac.field(x.rule, "resources"), _resources)
	n := rbac.normalized(x.rule)
	grant := _grants[what]
	rbac.grants_normalized(n, grant.groups, grant.resources, grant.verbs)
	f := {
		"msg": concat("", [obj.kind, " '", k8s.name(obj), "' rule ", format_int(x.path[1], 10), " grants ", what]),
		"path": x.path,
	}
}

_resources := {r | some g in _grants; some r in g.resources}

_grants := {
	"escalate or bind on roles (privilege escalation)": {
		"groups": {"rbac.authorization.k8s.io"},
		"resources": {"roles", "clusterroles"},
		"verbs": {"escalate", "bind"},
	},
	"impersonate (acting as other identities)": {
		"groups": {"", "authentication.k8s.io"},
		"resources": {"users", "groups", "serviceaccounts", "uids", "userextras/*"},
		"verbs": {"impersonate"},
	},
}
