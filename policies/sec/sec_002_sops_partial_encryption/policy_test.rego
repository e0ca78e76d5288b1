package kubegate.sec.sops_partial_encryption_test

import rego.v1

import data.kubegate.sec.sops_partial_encryption as p

paths(set) := {f.path | some f in set}

enc := "ENC[AES256_GCM,data:Zm9v,iv:YmFy,tag:YmF6,type:str]"

sops := {"mac": enc, "version": "3.8.1"}

secret(fields) := object.union({"kind": "Secret", "metadata": {"name": "s"}, "sops": sops}, fields)

test_fully_encrypted_passes if {
	count(p.errors(secret({"data": {"a": enc}, "stringData": {"b": enc, "empty": "ENC[AES256_GCM,data:,iv:YmFy,tag:YmF6,type:str]"}}))) == 0
}

test_plain_values_in_data_and_string_data if {
	obj := secret({"data": {"a": enc, "b": "aHVudGVyMg=="}, "stringData": {"password_unencrypted": "hunter2"}})
	paths(p.errors(obj)) == {["data", "b"], ["stringData", "password_unencrypted"]}
}

test_text_after_prefix_is_not_ciphertext if {
	obj := secret({"stringData": {"a": "ENC[AES256_GCM,data:hunter2"}})
	paths(p.errors(obj)) == {["stringData", "a"]}
}

test_non_string_values if {
	obj := secret({"stringData": {"port": 5432, "flag": true, "nothing": null}})
	paths(p.errors(obj)) == {["stringData", "port"], ["stringData", "flag"], ["stringData", "nothing"]}
}

test_without_mac_is_sec_001s_finding if {
	obj := {"kind": "Secret", "sops": {"version": "3.8.1"}, "data": {"a": "eA=="}}
	count(p.errors(obj)) == 0
	count(p.errors({"kind": "Secret", "data": {"a": "eA=="}})) == 0
}

test_other_kinds_and_malformed if {
	count(p.errors({"kind": "ConfigMap", "sops": sops, "data": {"a": "x"}})) == 0
	count(p.errors(secret({"data": "bogus"}))) == 0
}

test_message_never_quotes_the_value if {
	some f in p.errors(secret({"stringData": {"k": "hunter2"}}))
	not contains(f.msg, "hunter2")
}

test_wiring if {
	# regopy 1.5.2: `with` must take a local, not a rule constant.
	meta := {"mac": enc}
	d := p.deny with input.kind as "Secret" with input.sops as meta with input.stringData as {"a": "x"}
	paths(d) == {["stringData", "a"]}
}
