package kubegate.rbac.pod_exec_attach_test

import rego.v1

import data.kubegate.rbac.pod_exec_attach as p

role(kind, rules) := {"kind": kind, "metadata": {"name": "r"}, "rules": rules}

rule(groups, resources, verbs) := {"apiGroups": groups, "resources": resources, "verbs": verbs}

paths(set) := {f.path | some f in set}

test_exec_and_attach_with_create if {
	every r in ["pods/exec", "pods/attach"] {
		paths(p.errors(role("Role", [rule([""], ["pods"], ["get"]), rule([""], [r], ["create"])]))) == {["rules", 1]}
	}
}

# Polaris' finding: exec needs only `get` for websocket clients (and kubectl before 1.30).
test_exec_via_get if {
	count(p.errors(role("ClusterRole", [rule([""], ["pods/exec"], ["get"])]))) == 1
}

test_ephemeral_containers if {
	count(p.errors(role("Role", [rule([""], ["pods/ephemeralcontainers"], ["patch"])]))) == 1
	count(p.errors(role("Role", [rule([""], ["pods/ephemeralcontainers"], ["get"])]))) == 0
}

test_wildcards_count if {
	count(p.errors(role("Role", [rule(["*"], ["pods/exec"], ["create"])]))) == 1
	count(p.errors(role("Role", [rule([""], ["*/exec"], ["create"])]))) == 1
	count(p.errors(role("Role", [rule([""], ["pods/exec"], ["*"])]))) == 1
	count(p.errors(role("Role", [rule([""], ["*"], ["get"])]))) == 1
}

test_api_groups_absent_is_core if {
	count(p.errors(role("Role", [{"resources": ["pods/attach"], "verbs": ["create"]}]))) == 1
}

test_other_groups_and_read_only_pass if {
	count(p.errors(role("Role", [rule(["apps"], ["pods/exec"], ["create"])]))) == 0
	obj := role("Role", [rule([""], ["pods", "pods/log"], ["get", "list", "watch"])])
	count(p.errors(obj)) == 0
	count(p.warnings(obj)) == 0
}

test_resource_names_do_not_narrow if {
	named := object.union(rule([""], ["pods/exec"], ["create"]), {"resourceNames": ["one-pod"]})
	count(p.errors(role("Role", [named]))) == 1
}

test_create_pods_and_workloads_is_warning if {
	every x in [[[""], "pods"], [[""], "replicationcontrollers"], [["apps"], "deployments"], [["apps"], "daemonsets"], [["batch"], "cronjobs"], [["batch"], "jobs"]] {
		obj := role("Role", [rule(x[0], [x[1]], ["create"])])
		paths(p.warnings(obj)) == {["rules", 0]}
		count(p.errors(obj)) == 0
	}
}

test_update_workloads_is_not_creation if {
	count(p.warnings(role("Role", [rule(["apps"], ["deployments"], ["update", "patch"])]))) == 0
	count(p.warnings(role("Role", [rule(["batch"], ["deployments"], ["create"])]))) == 0
}

test_allowed_roles if {
	obj := role("ClusterRole", [rule([""], ["pods/exec"], ["create"]), rule([""], ["pods"], ["create"])])
	count(p.errors(obj)) == 0 with data.params as {"RBAC-006": {"allowed_roles": ["r"]}}
	count(p.warnings(obj)) == 0 with data.params as {"RBAC-006": {"allowed_roles": ["r"]}}
	count(p.errors(obj)) == 1 with data.params as {"RBAC-006": {"allowed_roles": ["other"]}}
}

test_bindings_and_malformed_ignored if {
	count(p.errors({"kind": "RoleBinding", "rules": [rule([""], ["pods/exec"], ["create"])]})) == 0
	count(p.errors(role("Role", "nope"))) == 0
	count(p.errors(role("Role", [{"resources": "pods/exec", "verbs": "create"}]))) == 0
}

test_wiring if {
	d := p.deny with input.kind as "Role" with input.rules as [rule([""], ["pods/exec"], ["get"])]
	paths(d) == {["rules", 0]}
	w := p.warn with input.kind as "Role" with input.rules as [rule(["apps"], ["deployments"], ["create"])]
	paths(w) == {["rules", 0]}
}

test_one_finding_per_rule if {
	obj := role("ClusterRole", [rule(["*"], ["*"], ["*"])])
	count(p.errors(obj)) == 1
	count(p.warnings(obj)) == 1
}

test_role_kinds_of_other_api_groups_ignored if {
	obj := object.union(role("Role", [rule([""], ["pods/exec"], ["create"])]), {"apiVersion": "example.com/v1"})
	count(p.errors(obj)) == 0
}
