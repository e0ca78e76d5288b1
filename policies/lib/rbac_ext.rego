# METADATA
# title: RBAC cross-resource helpers
# description: >-
#   Label selectors as the API server evaluates them, aggregated ClusterRoles resolved against
#   the ClusterRoles of the run, and the run's source files (data.kubegate.sources).
# scope: package
package lib.rbac_ext

import rego.v1

import data.lib.k8s

# selector_matches(selector, labels): a metav1.LabelSelector matches a label map. Every
# matchLabels pair and every matchExpressions requirement must hold; an empty selector matches
# everything (as LabelSelectorAsSelector does), which is exactly why it is dangerous.
selector_matches(selector, labels) if {
	is_object(selector)
	every k in object.keys(_rx_object(selector, "matchLabels")) {
		labels[k] == selector.matchLabels[k]
	}
	every e in _rx_array(selector, "matchExpressions") {
		_rx_requirement_holds(e, labels)
	}
}

_rx_object(obj, key) := v if {
	v := obj[key]
	is_object(v)
} else := {}

_rx_array(obj, key) := v if {
	v := obj[key]
	is_array(v)
} else := []

_rx_requirement_holds(e, labels) if {
	e.operator == "In"
	labels[e.key] in _rx_array(e, "values")
}

_rx_requirement_holds(e, labels) if {
	e.operator == "NotIn"
	not labels[e.key] in _rx_array(e, "values")
}

_rx_requirement_holds(e, labels) if {
	e.operator == "Exists"
	_rx_has_key(labels, e.key)
}

_rx_requirement_holds(e, labels) if {
	e.operator == "DoesNotExist"
	not _rx_has_key(labels, e.key)
}

_rx_has_key(labels, key) if {
	some k in object.keys(labels)
	k == key
}

# metadata_labels(obj): metadata.labels, {} when absent or malformed.
metadata_labels(obj) := l if {
	l := obj.metadata.labels
	is_object(l)
} else := {}

# cluster_role_selectors(role): [{"path", "selector"}] of an aggregated ClusterRole's clusterRoleSelectors.
cluster_role_selectors(role) := [x |
	some i
	role.kind == "ClusterRole"
	list := object.get(role, ["aggregationRule", "clusterRoleSelectors"], [])
	is_array(list)
	s := list[i]

	# The field is []LabelSelector (values): a null entry decodes to the empty selector.
	x := {"path": ["aggregationRule", "clusterRoleSelectors", i], "selector": _rx_null_as_empty(s)}
]

_rx_null_as_empty(s) := {} if s == null

_rx_null_as_empty(s) := s if s != null

# aggregated_roles(role): the ClusterRoles of the run that role's aggregationRule selects (the
# controller never aggregates a role into itself).
aggregated_roles(role) := [other |
	# Selectors first: most ClusterRoles aggregate nothing, and must not cost a scan of the run.
	selectors := cluster_role_selectors(role)
	count(selectors) > 0
	some other in _cluster_roles
	k8s.name(other) != k8s.name(role)
	some s in selectors
	selector_matches(s.selector, metadata_labels(other))
]

# The run's ClusterRoles, listed once per query.
_cluster_roles := [r |
	some r in k8s.resources
	is_object(r)
	r.kind == "ClusterRole"
]

# effective_rules(role): the role's own rules plus, for an aggregated ClusterRole, every rule of
# the selected repo roles (in Git an aggregated role's `rules` is empty: the controller fills it).
# Chains (view -> edit -> admin style) are followed two levels deep; Rego has no recursion.
effective_rules(role) := array.concat(_rx_own_rules(role), [r |
	some other in _rx_selected_closure(role)
	some r in _rx_own_rules(other)
])

_rx_selected_closure(role) := {other |
	some first in aggregated_roles(role)
	some other in array.concat([first], aggregated_roles(first))
	k8s.name(other) != k8s.name(role)
}

_rx_own_rules(role) := [r |
	list := object.get(role, "rules", [])
	is_array(list)
	some r in list
	is_object(r)
]

# source_files(obj): the files where the raw resource obj is defined, from
# data.kubegate.source_index (keyed "Kind/name"; matched further by apiVersion and namespace). An
# O(1) lookup per document: scanning data.kubegate.sources for every document is quadratic.
# [] when the run did not provide sources.
source_files(obj) := [s.file |
	some s in _rx_candidates(obj)
	is_object(s)
	object.get(s, "apiVersion", "") == object.get(obj, "apiVersion", "")
	object.get(s, "namespace", "") == k8s.namespace(obj)
	is_string(s.file)
]

_rx_candidates(obj) := c if {
	index := data.kubegate.source_index
	is_object(index)
	key := concat("/", [k8s.text(obj.kind), k8s.name(obj)])
	c := object.get(index, key, [])
	is_array(c)
} else := c if {
	# Callers that give only the list (conftest-style data files, unit tests): scan it.
	all := data.kubegate.sources
	is_array(all)
	c := [s | some s in all; is_object(s); s.kind == obj.kind; object.get(s, "name", "") == k8s.name(obj)]
} else := []

# file_matches_globs(file, globs): some glob matches the file path or a trailing part of it that starts
# at a directory boundary. Paths are relative to wherever kubegate runs (repo root in pre-commit,
# the workspace in Jenkins), so a glob like `tenants/**` must not depend on that prefix.
file_matches_globs(file, globs) if {
	some suffix in file_suffixes(file)
	some g in globs
	is_string(g)
	glob.match(g, ["/"], suffix)
}

# file_suffixes("a/b/c.yaml") = ["a/b/c.yaml", "b/c.yaml", "c.yaml"]; `./` and `\` normalised.
file_suffixes(file) := [s |
	some i
	parts := [p | some p in split(replace(file, "\\", "/"), "/"); p != ""; p != "."]
	_ = parts[i]
	s := concat("/", array.slice(parts, i, count(parts)))
]

# rbac_api(obj): obj belongs to rbac.authorization.k8s.io (kinds like Role or ServiceAccount also
# exist in other API groups, e.g. talos.dev ServiceAccount). A missing apiVersion is given the
# benefit of the doubt: schema validation reports it.
rbac_api(obj) if {
	api := object.get(obj, "apiVersion", "rbac.authorization.k8s.io/v1")
	is_string(api) # a schema-invalid apiVersion is SCHEMA-001's, never an engine error
	startswith(api, "rbac.authorization.k8s.io/")
}

# core_api(obj): obj belongs to the core group (apiVersion `v1`), or has no apiVersion.
core_api(obj) if object.get(obj, "apiVersion", "v1") == "v1"
