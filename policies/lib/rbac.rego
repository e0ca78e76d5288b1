# METADATA
# title: RBAC rule helpers
# description: >-
#   grants(rule, G, R, V): the PolicyRule grants some verb of V on some resource of R in some
#   API group of G, with `*` honoured in every position, `*/sub` subresource wildcards, and a
#   lowercase comparison (the conservative reading).
# scope: package
package lib.rbac

import rego.v1

# role_kinds are the kinds whose `rules` grant permissions.
role_kinds := {"Role", "ClusterRole"}

binding_kinds := {"RoleBinding", "ClusterRoleBinding"}

# rules(obj): [{"path", "rule"}] for every PolicyRule (not just rules[0]).
rules(obj) := [x |
	obj.kind in role_kinds
	list := object.get(obj, "rules", [])
	is_array(list)
	some i
	r := list[i]
	is_object(r)
	x := {"path": ["rules", i], "rule": r}
]

# field(rule, key): a string list; an absent apiGroups means the core group "".
field(rule, key) := _strings(object.get(rule, "apiGroups", [""])) if key == "apiGroups"

field(rule, key) := _strings(object.get(rule, key, [])) if key != "apiGroups"

_strings(v) := [lower(s) | some s in v; is_string(s)] if is_array(v)

_strings(v) := [] if not is_array(v)

grants(rule, groups, resources, verbs) if {
	group_matches(rule, groups)
	resource_matches(rule, resources)
	verb_matches(rule, verbs)
}

group_matches(rule, groups) if {
	some g in field(rule, "apiGroups")
	_in_or_star(g, groups)
}

verb_matches(rule, verbs) if {
	some v in field(rule, "verbs")
	_in_or_star(v, verbs)
}

resource_matches(rule, resources) if {
	some r in field(rule, "resources")
	some wanted in resources
	resource_match(r, wanted)
}

_in_or_star(x, _) if x == "*"

_in_or_star(x, wanted) if x in wanted

# resource_match(granted, wanted): `*`, equality, `*/sub` for a wanted `res/sub`, and a wanted
# `res/*` (any subresource of res, e.g. userextras/*).
resource_match(granted, _) if granted == "*"

resource_match(granted, wanted) if granted == wanted

resource_match(granted, wanted) if {
	startswith(granted, "*/")
	contains(wanted, "/")
	endswith(wanted, substring(granted, 1, -1))
}

resource_match(granted, wanted) if {
	endswith(wanted, "/*")
	startswith(granted, trim_suffix(wanted, "*"))
}

# is_wildcard(list): the list holds "*".
is_wildcard(list) if "*" in list

# index_of_star(rule, key): positions of "*" in rule[key], for precise paths.
star_indexes(rule, key) := [i |
	list := object.get(rule, key, [])
	is_array(list)
	some i
	list[i] == "*"
]
