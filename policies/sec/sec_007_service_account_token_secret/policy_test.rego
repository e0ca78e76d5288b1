package kubegate.sec.service_account_token_secret_test

import rego.v1

import data.kubegate.sec.service_account_token_secret as p

secret(t) := {"kind": "Secret", "metadata": {"name": "s", "annotations": {"kubernetes.io/service-account.name": "ci"}}, "type": t}

paths(set) := {f.path | some f in set}

test_token_secret if {
	paths(p.errors(secret("kubernetes.io/service-account-token"))) == {["type"]}
}

test_other_types_pass if {
	every t in ["Opaque", "kubernetes.io/tls", "kubernetes.io/dockerconfigjson"] {
		count(p.errors(secret(t))) == 0
	}
	count(p.errors({"kind": "Secret"})) == 0
}

test_wiring if {
	d := p.deny with input.kind as "Secret" with input.type as "kubernetes.io/service-account-token"
	paths(d) == {["type"]}
}
