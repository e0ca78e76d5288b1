package kubegate.sec.workload_identity_test

import rego.v1

import data.kubegate.sec.workload_identity as p

sa(annotations) := {"kind": "ServiceAccount", "metadata": {"name": "sa", "namespace": "team-a", "annotations": annotations}}

arn := "arn:aws:iam::123456789012:role/team-a-reader"

paths(set) := {f.path | some f in set}

# A function, not a constant: regopy 1.5.2 fails on `with data.params as <rule>`.
allow_team_a(_) := {"SEC-008": {"allowed_role_arns": ["^arn:aws:iam::123456789012:role/team-a-"]}}

test_unconfigured_is_warning if {
	obj := sa({"eks.amazonaws.com/role-arn": arn})
	count(p.errors(obj)) == 0
	paths(p.warnings(obj)) == {["metadata", "annotations", "eks.amazonaws.com/role-arn"]}
}

test_configured_match_passes if {
	obj := sa({"eks.amazonaws.com/role-arn": arn})
	params := allow_team_a(0)
	count(p.errors(obj)) == 0 with data.params as params
	count(p.warnings(obj)) == 0 with data.params as params
}

test_configured_mismatch_is_error if {
	obj := sa({"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/platform-admin"})
	params := allow_team_a(0)
	paths(p.errors(obj)) == {["metadata", "annotations", "eks.amazonaws.com/role-arn"]} with data.params as params
}

test_non_string_value_is_error_when_configured if {
	params := allow_team_a(0)
	count(p.errors(sa({"eks.amazonaws.com/role-arn": 5}))) == 1 with data.params as params
}

test_gke_and_azure if {
	obj := sa({"iam.gke.io/gcp-service-account": "a@p.iam.gserviceaccount.com", "azure.workload.identity/client-id": "0000"})
	count(p.warnings(obj)) == 2
	params := {"SEC-008": {"allowed_gcp_service_accounts": ["@team-a\\.iam\\.gserviceaccount\\.com$"]}}
	paths(p.errors(obj)) == {["metadata", "annotations", "iam.gke.io/gcp-service-account"]} with data.params as params
}

test_plain_service_account_passes if {
	count(p.warnings(sa({}))) == 0
	count(p.warnings({"kind": "ServiceAccount", "metadata": {"name": "x"}})) == 0
}

test_wiring if {
	d := p.warn with input.kind as "ServiceAccount" with input.metadata as {"name": "sa", "annotations": {"eks.amazonaws.com/role-arn": arn}}
	paths(d) == {["metadata", "annotations", "eks.amazonaws.com/role-arn"]}
	params := allow_team_a(0)
	e := p.deny with input.kind as "ServiceAccount" with input.metadata as {"name": "sa", "annotations": {"eks.amazonaws.com/role-arn": "x"}} with data.params as params
	paths(e) == {["metadata", "annotations", "eks.amazonaws.com/role-arn"]}
}
