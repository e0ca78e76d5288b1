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
