package kubegate.rbac.automount_token_test

import rego.v1

import data.kubegate.rbac.automount_token as p

svc_account(extra) := object.union({"kind": "ServiceAccount", "metadata": {"name": "app", "namespace": "team-a"}}, extra)

deploy_spec(spec) := {"kind": "Deployment", "metadata": {"name": "d", "namespace": "team-a"}, "spec": {"template": {"spec": spec}}}

paths(set) := {f.path | some f in set}

# Absent means true: only an explicit boolean false opts out.
test_service_account_absent_is_warning if {
	paths(p.warnings(svc_account({}))) == {[]}
}

test_service_account_true_or_non_boolean if {
	paths(p.warnings(svc_account({"automountServiceAccountToken": true}))) == {["automountServiceAccountToken"]}
	paths(p.warnings(svc_account({"automountServiceAccountToken": "false"}))) == {["automountServiceAccountToken"]}
	paths(p.warnings(svc_account({"automountServiceAccountToken": null}))) == {["automountServiceAccountToken"]}
}

test_service_account_false_passes if {
	count(p.warnings(svc_account({"automountServiceAccountToken": false}))) == 0
}

# The pod's setting overrides the ServiceAccount's: true mounts the token regardless.
test_pod_true_is_warning if {
	paths(p.warnings(deploy_spec({"automountServiceAccountToken": true}))) == {["spec", "template", "spec", "automountServiceAccountToken"]}
	cron := {"kind": "CronJob", "metadata": {"name": "c"}, "spec": {"jobTemplate": {"spec": {"template": {"spec": {"automountServiceAccountToken": true}}}}}}
	paths(p.warnings(cron)) == {["spec", "jobTemplate", "spec", "template", "spec", "automountServiceAccountToken"]}
}

# An absent pod field defers to the ServiceAccount, which is reported on its own.
test_pod_false_or_absent_passes if {
	count(p.warnings(deploy_spec({"automountServiceAccountToken": false}))) == 0
	count(p.warnings(deploy_spec({}))) == 0
}

test_platform_namespaces if {
	flux := svc_account({"metadata": {"name": "kustomize-controller", "namespace": "flux-system"}})
	count(p.warnings(flux)) == 0
	count(p.warnings(flux)) == 1 with data.params as {"RBAC-011": {"platform_namespaces": []}}
	count(p.warnings(svc_account({}))) == 0 with data.params as {"RBAC-011": {"platform_namespaces": ["team-a"]}}
}

test_other_kinds_ignored if {
	count(p.warnings({"kind": "Secret", "metadata": {"name": "x"}, "automountServiceAccountToken": true})) == 0
	count(p.warnings({"kind": "Deployment", "metadata": {"name": "d"}, "spec": "nope"})) == 0
}

test_wiring if {
	w := p.warn with input.kind as "ServiceAccount" with input.metadata as {"name": "a"} with input.automountServiceAccountToken as true
	paths(w) == {["automountServiceAccountToken"]}
}

# Other API groups have kinds called ServiceAccount too (talos.dev, seen in a real fleet).
test_service_account_of_another_group_ignored if {
	count(p.warnings(svc_account({"apiVersion": "talos.dev/v1alpha1"}))) == 0
	count(p.warnings(svc_account({"apiVersion": "v1"}))) == 1
}
