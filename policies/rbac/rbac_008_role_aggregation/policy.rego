# METADATA
# title: ClusterRole aggregation widens other roles
# description: >-
#   A ClusterRole labelled `rbac.authorization.k8s.io/aggregate-to-admin`, `-edit` or `-view`
#   `"true"` adds its rules to the built-in admin, edit or view roles, and so to every subject
#   bound to them in every namespace (error). An `aggregationRule` selector that is empty
#   selects every ClusterRole, cluster-admin included (error). Any other `aggregationRule` is a
#   warning: the role's `rules` are empty in Git and filled by the controller with the union of
#   the selected ClusterRoles, so the warning evaluates that union over the ClusterRoles of the
#   run and names the sensitive grants it contains.
# related_resources:
#   - ref: https://kubernetes.io/docs/reference/access-authn-authz/rbac/#aggregated-clusterroles
#     description: Kubernetes aggregated ClusterRoles
#   - ref: https://docs.kubelinter.io/#/generated/checks?id=access-to-resources
#     description: kube-linter access checks (findAggregatedAccesses)
#   - ref: https://github.com/open-policy-agent/gatekeeper-library/tree/master/library/general/block-endpoint-edit-default-role
#     description: Gatekeeper block-endpoint-edit-default-role
# custom:
#   id: RBAC-008
#   name: role-aggregation
#   kinds: [ClusterRole]
#   severity: error
#   remediation: >-
#     Bind a dedicated role to the subjects that need it instead of widening admin, edit or view.
#     Give each aggregationRule selector a label only the intended roles carry. Roles that must
#     aggregate go in `policies.params.RBAC-008.allowed_roles`.
#   params: [allowed_roles]
package kubegate.rbac.role_aggregation

import rego.v1

import data.lib.k8s
import data.lib.rbac
import data.lib.rbac_ext

id := "RBAC-008"

deny contains f if some f in errors(input)

warn contains f if some f in warnings(input)

builtin_labels := {
	"rbac.authorization.k8s.io/aggregate-to-admin": "admin",
	"rbac.authorization.k8s.io/aggregate-to-edit": "edit",
	"rbac.authorization.k8s.io/aggregate-to-view": "view",
}

errors(obj) := _widening(obj) | _select_all(obj)

_widening(obj) := {f |
	_aggregation_checked(obj)
	labels := rbac_ext.metadata_labels(obj)
	some key in object.keys(labels)
	target := builtin_labels[key]
	_label_true(labels[key])
	f := {
		"msg": concat("", ["ClusterRole '", k8s.name(obj), "' adds its rules to the built-in '", target, "' role (every subject bound to it, in every namespace)"]),
		"path": ["metadata", "labels", key],
	}
}

# Label values are strings; an unquoted YAML `true` is refused by the API server but is just as
# clearly meant, so both count.
_label_true(v) if v == "true"

_label_true(v) if v == true

_select_all(obj) := {f |
	_aggregation_checked(obj)
	some s in rbac_ext.cluster_role_selectors(obj)
	_empty_selector(s.selector)
	f := {
		"msg": concat("", ["ClusterRole '", k8s.name(obj), "' aggregation selector ", format_int(s.path[2], 10), " is empty: it selects every ClusterRole, cluster-admin included"]),
		"path": s.path,
	}
}

_empty_selector(sel) if {
	is_object(sel)
	count(object.get(sel, "matchLabels", {})) == 0
	count(object.get(sel, "matchExpressions", [])) == 0
}

warnings(obj) := {f |
	_aggregation_checked(obj)
	count(rbac_ext.cluster_role_selectors(obj)) > 0
	selected := count(rbac_ext.aggregated_roles(obj))
	f := {
		"msg": concat("", [
			"ClusterRole '", k8s.name(obj), "' is aggregated: its rules are the union of the ",
			format_int(selected, 10), " ClusterRole(s) of the repository its selectors match, and of any matching role added later",
			_sensitive_note(obj),
		]),
		"path": ["aggregationRule"],
	}
}

_sensitive := {
	"every verb or resource ('*')": {"groups": {"*"}, "resources": {"*"}, "verbs": {"*"}, "star": true},
	"read access to Secrets": {"groups": {""}, "resources": {"secrets"}, "verbs": {"get", "list", "watch"}, "star": false},
	"escalate or bind on roles": {"groups": {"rbac.authorization.k8s.io"}, "resources": {"roles", "clusterroles"}, "verbs": {"escalate", "bind"}, "star": false},
	"impersonate": {"groups": {"", "authentication.k8s.io"}, "resources": {"users", "groups", "serviceaccounts"}, "verbs": {"impersonate"}, "star": false},
	"exec or attach into pods": {"groups": {""}, "resources": {"pods/exec", "pods/attach"}, "verbs": {"create", "get"}, "star": false},
}

_sensitive_note(obj) := concat("", ["; the union grants ", concat(", ", sort(found))]) if {
	found := {what |
		some what
		some r in rbac_ext.effective_rules(obj)
		s := _sensitive[what]
		_sensitive_grant(r, s)
	}
	count(found) > 0
} else := ""

# `*` itself is the finding for the wildcard row (any explicit rule "matches" a `*` query).
_sensitive_grant(r, s) if {
	s.star
	some key in ["verbs", "resources"]
	"*" in rbac.field(r, key)
}

_sensitive_grant(r, s) if {
	not s.star
	rbac.grants(r, s.groups, s.resources, s.verbs)
}

_aggregation_checked(obj) if {
	obj.kind == "ClusterRole"
	rbac_ext.rbac_api(obj)
	not k8s.name(obj) in k8s.param(id, "allowed_roles", [])
}
