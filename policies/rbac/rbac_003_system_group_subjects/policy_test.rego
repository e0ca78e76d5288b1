package kubegate.rbac.system_group_subjects_test

import rego.v1

import data.kubegate.rbac.system_group_subjects as p

crb(subjects) := {"kind": "ClusterRoleBinding", "metadata": {"name": "b"}, "roleRef": {"kind": "ClusterRole", "name": "view"}, "subjects": subjects}

group(n) := {"kind": "Group", "name": n, "apiGroup": "rbac.authorization.k8s.io"}

paths(set) := {f.path | some f in set}

test_anonymous_unauthenticated_masters if {
	every n in ["system:anonymous", "system:unauthenticated", "system:masters", "SYSTEM:Masters"] {
		paths(p.errors(crb([group("ops"), group(n)]))) == {["subjects", 1, "name"]}
	}
}

test_authenticated_by_default if {
	count(p.errors(crb([group("system:authenticated")]))) == 1
	count(p.errors(crb([group("system:authenticated")]))) == 0 with data.params as {"RBAC-003": {"disallow_authenticated": false}}
}

test_named_subjects_pass if {
	count(p.errors(crb([group("ops"), {"kind": "User", "name": "system:serviceaccount:a:b"}]))) == 0
}

test_role_binding_too if {
	obj := json.patch(crb([group("system:anonymous")]), [{"op": "replace", "path": "/kind", "value": "RoleBinding"}])
	count(p.errors(obj)) == 1
}

test_allowed_roles if {
	count(p.errors(crb([group("system:authenticated")]))) == 0 with data.params as {"RBAC-003": {"allowed_roles": ["view"]}}
}

test_malformed_subjects if {
	count(p.errors(crb("x"))) == 0
	count(p.errors(crb([{"kind": "Group"}]))) == 0
}

test_wiring if {
	d := p.deny with input.kind as "ClusterRoleBinding" with input.subjects as [group("system:anonymous")]
	paths(d) == {["subjects", 0, "name"]}
}
