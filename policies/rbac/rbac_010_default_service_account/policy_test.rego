package kubegate.rbac.default_service_account_test

import rego.v1

import data.kubegate.rbac.default_service_account as p

rb_with(subjects) := {"kind": "RoleBinding", "metadata": {"name": "b", "namespace": "team-a"}, "roleRef": {"kind": "Role", "name": "r"}, "subjects": subjects}

deploy_spec(spec) := {"kind": "Deployment", "metadata": {"name": "d"}, "spec": {"template": {"spec": spec}}}

paths(set) := {f.path | some f in set}

test_binding_to_default_service_account if {
	obj := rb_with([{"kind": "ServiceAccount", "name": "app", "namespace": "team-a"}, {"kind": "ServiceAccount", "name": "default", "namespace": "team-a"}])
	paths(p.errors(obj)) == {["subjects", 1, "name"]}
	crb := object.union(obj, {"kind": "ClusterRoleBinding"})
	paths(p.errors(crb)) == {["subjects", 1, "name"]}
}

test_named_service_account_or_user_called_default_pass if {
	count(p.errors(rb_with([{"kind": "ServiceAccount", "name": "app", "namespace": "team-a"}]))) == 0
	count(p.errors(rb_with([{"kind": "User", "name": "default"}]))) == 0
	count(p.errors({"kind": "Role", "subjects": [{"kind": "ServiceAccount", "name": "default"}]})) == 0
}

# A group of all ServiceAccounts includes every namespace's default ServiceAccount.
test_service_account_groups if {
	count(p.errors(rb_with([{"kind": "Group", "name": "system:serviceaccounts"}]))) == 1
	count(p.errors(rb_with([{"kind": "Group", "name": "system:serviceaccounts:team-a"}]))) == 1
	count(p.errors(rb_with([{"kind": "Group", "name": "system:serviceaccountsx"}]))) == 0
}

test_pod_spec_without_service_account_is_warning if {
	paths(p.warnings(deploy_spec({"containers": []}))) == {["spec", "template", "spec"]}
}

test_empty_and_default_names if {
	paths(p.warnings(deploy_spec({"serviceAccountName": ""}))) == {["spec", "template", "spec", "serviceAccountName"]}
	paths(p.warnings(deploy_spec({"serviceAccountName": "default"}))) == {["spec", "template", "spec", "serviceAccountName"]}
	count(p.warnings(deploy_spec({"serviceAccountName": "app"}))) == 0
}

# The deprecated serviceAccount field still selects the identity when serviceAccountName is empty.
test_deprecated_service_account_field if {
	count(p.warnings(deploy_spec({"serviceAccount": "app"}))) == 0
	count(p.warnings(deploy_spec({"serviceAccountName": "", "serviceAccount": "app"}))) == 0
	paths(p.warnings(deploy_spec({"serviceAccount": "default"}))) == {["spec", "template", "spec", "serviceAccount"]}
	paths(p.warnings(deploy_spec({"serviceAccountName": "default", "serviceAccount": "app"}))) == {["spec", "template", "spec", "serviceAccountName"]}
}

test_every_workload_kind if {
	cron := {"kind": "CronJob", "metadata": {"name": "c"}, "spec": {"jobTemplate": {"spec": {"template": {"spec": {}}}}}}
	paths(p.warnings(cron)) == {["spec", "jobTemplate", "spec", "template", "spec"]}
	paths(p.warnings({"kind": "Pod", "metadata": {"name": "x"}, "spec": {"serviceAccountName": "default"}})) == {["spec", "serviceAccountName"]}
	count(p.warnings({"kind": "ConfigMap", "metadata": {"name": "x"}, "spec": {}})) == 0
}

test_malformed_does_not_crash if {
	count(p.warnings(deploy_spec({"serviceAccountName": 7}))) == 1
	count(p.errors(rb_with("nope"))) == 0
	count(p.errors(rb_with([{"kind": "ServiceAccount"}, "x"]))) == 0
}

test_wiring if {
	d := p.deny with input.kind as "RoleBinding" with input.subjects as [{"kind": "ServiceAccount", "name": "default"}]
	paths(d) == {["subjects", 0, "name"]}
	w := p.warn with input.kind as "Pod" with input.spec as {"containers": []}
	paths(w) == {["spec"]}
}
