package lib.rbac_test

import rego.v1

import data.lib.rbac

r(groups, resources, verbs) := {"apiGroups": groups, "resources": resources, "verbs": verbs}

test_exact if {
	rbac.grants(r([""], ["secrets"], ["get"]), {""}, {"secrets"}, {"get", "list"})
}

test_star_in_every_position if {
	rbac.grants(r(["*"], ["secrets"], ["get"]), {""}, {"secrets"}, {"get"})
	rbac.grants(r([""], ["*"], ["get"]), {""}, {"secrets"}, {"get"})
	rbac.grants(r([""], ["secrets"], ["*"]), {""}, {"secrets"}, {"get"})
}

test_mismatch_in_any_position if {
	not rbac.grants(r(["apps"], ["secrets"], ["get"]), {""}, {"secrets"}, {"get"})
	not rbac.grants(r([""], ["configmaps"], ["get"]), {""}, {"secrets"}, {"get"})
	not rbac.grants(r([""], ["secrets"], ["create"]), {""}, {"secrets"}, {"get"})
}

test_lowercase_compare if {
	rbac.grants(r([""], ["Secrets"], ["GET"]), {""}, {"secrets"}, {"get"})
}

test_star_subresource if {
	rbac.grants(r([""], ["*/exec"], ["create"]), {""}, {"pods/exec"}, {"create"})
	not rbac.grants(r([""], ["*/exec"], ["create"]), {""}, {"pods"}, {"create"})
	not rbac.grants(r([""], ["*/scale"], ["create"]), {""}, {"pods/exec"}, {"create"})
}

test_wanted_any_subresource if {
	rbac.grants(r(["authentication.k8s.io"], ["userextras/scopes"], ["impersonate"]), {"authentication.k8s.io"}, {"userextras/*"}, {"impersonate"})
}

test_missing_api_groups_is_core if {
	rbac.grants({"resources": ["secrets"], "verbs": ["get"]}, {""}, {"secrets"}, {"get"})
}

test_malformed_fields if {
	not rbac.grants({"apiGroups": "*", "resources": ["secrets"], "verbs": ["get"]}, {""}, {"secrets"}, {"get"})
	not rbac.grants(r([""], [1], ["get"]), {""}, {"secrets"}, {"get"})
}

test_rules_every_index if {
	role := {"kind": "ClusterRole", "rules": [r([""], ["pods"], ["get"]), "junk", r([""], ["*"], ["*"])]}
	[x.path | some x in rbac.rules(role)] == [["rules", 0], ["rules", 2]]
	count(rbac.rules({"kind": "RoleBinding", "rules": [r([""], ["*"], ["*"])]})) == 0
}

test_star_indexes if {
	rbac.star_indexes(r([""], ["pods", "*"], ["*"]), "resources") == [1]
}
