# METADATA
# title: SOPS-encrypted Secret with a plain-text value
# description: >-
#   A Secret carries SOPS metadata (`sops.mac`), yet some value of `data` or `stringData` is not a
#   SOPS ciphertext (`ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]`). This happens when
#   `encrypted_regex` names only some keys, when a key ends with the `unencrypted_suffix`, or when a
#   value was added or pasted after encryption; the file looks encrypted and is not. A Secret
#   without `sops.mac` is SEC-001's finding, not this one.
# related_resources:
#   - ref: https://fluxcd.io/flux/guides/mozilla-sops/
#     description: Flux guide, Manage Kubernetes secrets with SOPS (encrypted_regex ^(data|stringData)$)
#   - ref: https://github.com/getsops/sops#encrypting-only-parts-of-a-file
#     description: SOPS, encrypting only parts of a file
# custom:
#   id: SEC-002
#   name: sops-partial-encryption
#   kinds: [Secret]
#   severity: error
#   remediation: >-
#     Decrypt and re-encrypt the file with `sops --encrypt --encrypted-regex '^(data|stringData)$'`
#     (or set that `encrypted_regex` in `.sops.yaml`), and rotate any value that was committed in
#     plain text.
package kubegate.sec.sops_partial_encryption

import rego.v1

import data.lib.k8s

deny contains f if some f in errors(input)

# The whole SOPS leaf, not just its prefix: a value typed after `ENC[AES256_GCM,data:` is not encrypted.
ciphertext := `^ENC\[AES256_GCM,data:[A-Za-z0-9+/=]*,iv:[A-Za-z0-9+/=]+,tag:[A-Za-z0-9+/=]+,type:[a-z]+\]$`

errors(obj) := {f |
	some key
	obj.kind == "Secret"
	_has_mac(obj)
	some field in ["data", "stringData"]
	values := object.get(obj, field, {})
	is_object(values)
	value := values[key]
	not _encrypted(value)
	f := {
		"msg": concat("", ["Secret '", k8s.name(obj), "' ", field, " key '", k8s.text(key), "' is not SOPS-encrypted"]),
		"path": [field, key],
	}
}

_has_mac(obj) if {
	mac := obj.sops.mac
	is_string(mac)
	mac != ""
}

_encrypted(value) if {
	is_string(value)
	regex.match(ciphertext, value)
}
