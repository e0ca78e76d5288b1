package kubegate.sec.plaintext_secret_test

import rego.v1

import data.kubegate.sec.plaintext_secret as p

secret(extra) := object.union({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}}, extra)

paths(set) := {f.path | some f in set}

test_plain_data_and_string_data if {
	paths(p.errors(secret({"data": {"k": "dg=="}, "stringData": {"k": "v"}}))) == {["data"], ["stringData"]}
}

test_sops_encrypted_passes if {
	count(p.errors(secret({"data": {"k": "ENC[AES256_GCM,data:x]"}, "sops": {"mac": "ENC[AES256_GCM,data:y]"}}))) == 0
}

test_sops_without_mac_is_plain if {
	count(p.errors(secret({"data": {"k": "dg=="}, "sops": {"mac": ""}}))) == 1
	count(p.errors(secret({"data": {"k": "dg=="}, "sops": {}}))) == 1
}

test_empty_secret_passes if {
	count(p.errors(secret({}))) == 0
	count(p.errors(secret({"data": {}}))) == 0
	count(p.errors(secret({"data": null}))) == 0
}

test_other_kinds_pass if {
	count(p.errors({"kind": "ConfigMap", "data": {"k": "v"}})) == 0
}

test_wiring if {
	d := p.deny with input.kind as "Secret" with input.stringData as {"k": "v"}
	paths(d) == {["stringData"]}
}

test_secret_manager_references_are_not_plaintext if {
	count(p.errors(_secret({"token": "op://Automation/connect/token", "url": "vault:secret/x#y",
		"v": "ref+awsssm://p", "a": "<path:kv/data/x#k>", "s": "${DB_PASSWORD}", "e": ""}))) == 0
}

test_one_plain_value_among_references_is_plaintext if {
	count(p.errors(_secret({"token": "op://Automation/connect/token", "password": "hunter2"}))) == 1
}

test_a_substitution_inside_text_is_still_plaintext if {
	count(p.errors(_secret({"dsn": "postgres://u:pw@${HOST}/db"}))) == 1
}

test_reference_patterns_parameter if {
	params := {"SEC-001": {"reference_patterns": ["^sm://"]}}
	count(p.errors(_secret({"token": "sm://x"}))) == 0 with data.params as params
	count(p.errors(_secret({"token": "op://x/y"}))) == 1 with data.params as params
}

_secret(values) := {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "stringData": values}
