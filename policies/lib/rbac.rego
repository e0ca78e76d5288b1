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
	some i
	obj.kind in role_kinds
	list := object.get(obj, "rules", [])
	is_array(list)
	r := list[i]
	is_object(r)
	x := {"path": ["rules", i], "rule": r}
]

# field(rule, key): a string list; an absent apiGroups means the core group "".
field(rule, key) := _strings(object.get(rule, key, object.get(_field_defaults, key, [])))

_field_defaults := {"apiGroups": [""]}

_strings(v) := [lower(s) | some s in v; is_string(s)] if is_array(v)
else := []

# The matchers below are called for every PolicyRule times every grant a rule looks for, so they
# are written with few bodies and built-ins (grants: 57 -> 23 us per call in regorus). A random
# comparison against the one-body-per-case form is in tests/test_policy_helpers.py.
grants(rule, groups, resources, verbs) if {
	resource_matches(rule, resources)
	verb_matches(rule, verbs)
	group_matches(rule, groups)
}

group_matches(rule, groups) if any_in_or_star(field(rule, "apiGroups"), groups)

verb_matches(rule, verbs) if any_in_or_star(field(rule, "verbs"), verbs)

resource_matches(rule, resources) if resources_match(field(rule, "resources"), resources)

# normalized(rule): the rule's apiGroups, resources and verbs as field() reads them, for checking
# one PolicyRule against several grants without reading it again for each (reading is most of
# the cost of a check).
normalized(rule) := {
	"apiGroups": field(rule, "apiGroups"),
	"resources": field(rule, "resources"),
	"verbs": field(rule, "verbs"),
}

# grants_normalized(n, G, R, V): grants(rule, G, R, V) for n = normalized(rule).
grants_normalized(n, groups, resources, verbs) if {
	resources_match(n.resources, resources)
	any_in_or_star(n.verbs, verbs)
	any_in_or_star(n.apiGroups, groups)
}

# any_in_or_star(list, wanted): list (of a rule's field) holds "*" or an element of wanted.
any_in_or_star(list, _) if "*" in list

any_in_or_star(list, wanted) if {
	some x in list
	x in wanted
}

# resources_match(granted, wanted): resource_match below for some granted and some wanted.
resources_match(granted, wanted) if {
	"*" in granted
	count(wanted) > 0
}

resources_match(granted, wanted) if {
	some r in granted
	r in wanted
}

resources_match(granted, wanted) if {
	some r in granted
	startswith(r, "*/")
	suffix := substring(r, 1, -1)
	some w in wanted
	contains(w, "/")
	endswith(w, suffix)
}

resources_match(granted, wanted) if {
	some w in wanted
	endswith(w, "/*")
	prefix := trim_suffix(w, "*")
	some r in granted
	startswith(r, prefix)
}

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
	some i
	list := object.get(rule, key, [])
	is_array(list)
	list[i] == "*"
]
