# METADATA
# title: Role grants wildcard verbs or resources
# description: >-
#   A Role or ClusterRole rule lists `*` in `verbs` or `resources` (error): it grants every
#   current and future verb or resource, including ones added by CRDs later. `*` only in
#   `apiGroups`, or in `nonResourceURLs`, is a warning. Every rule is checked, not just the first.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/security/rbac-good-practices/
#     description: Kubernetes RBAC good practices (CIS 5.1.3)
#   - ref: https://docs.kubelinter.io/#/generated/checks?id=wildcard-in-rules
#     description: kube-linter wildcard-in-rules
# custom:
#   id: RBAC-001
#   name: wildcard-rules
#   kinds: [Role, ClusterRole]
#   severity: error
#   remediation: >-
#     List the exact verbs and resources the subject needs (for example `get`, `list`, `watch` on
#     `deployments`). Add a role that must stay broad to `policies.params.RBAC-001.allowed_roles`.
#   params: [allowed_roles]
package kubegate.rbac.wildcard_rules

import rego.v1

import data.lib.k8s
import data.lib.rbac

id := "RBAC-001"

deny contains f if some f in errors(input)

warn contains f if some f in warnings(input)

errors(obj) := {f |
	some x in _rules(obj)
	some key in ["verbs", "resources"]
	some j in rbac.star_indexes(x.rule, key)
	f := {
		"msg": concat("", [obj.kind, " '", k8s.name(obj), "' rule ", format_int(x.path[1] + 1, 10), " grants every ", _noun[key], " ('*')"]),
		"path": array.concat(x.path, [key, j]),
	}
}

warnings(obj) := {f |
	some x in _rules(obj)
	some key in ["apiGroups", "nonResourceURLs"]
	_warn_on(x.rule, key)
	some j in rbac.star_indexes(x.rule, key)
	f := {
		"msg": concat("", [obj.kind, " '", k8s.name(obj), "' rule ", format_int(x.path[1] + 1, 10), " grants every ", _noun[key], " ('*')"]),
		"path": array.concat(x.path, [key, j]),
	}
}

_noun := {"verbs": "verb", "resources": "resource", "apiGroups": "API group", "nonResourceURLs": "non-resource URL"}

# A wildcard apiGroup is reported on its own only when verbs and resources are explicit: with a
# wildcard verb or resource the rule already has an error.
_warn_on(rule, "apiGroups") if {
	count(rbac.star_indexes(rule, "verbs")) == 0
	count(rbac.star_indexes(rule, "resources")) == 0
}

_warn_on(_, key) if key == "nonResourceURLs"

_rules(obj) := [x |
	not k8s.name(obj) in k8s.param(id, "allowed_roles", [])
	some x in rbac.rules(obj)
]
