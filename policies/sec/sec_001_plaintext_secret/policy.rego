# METADATA
# title: Secret committed in plain text
# description: >-
#   A Secret has non-empty `data` or `stringData` and is not SOPS-encrypted (no top-level
#   `sops.mac`). base64 in `data` is an encoding, not encryption: anyone who can read the
#   repository can read the Secret. Values that are only references for a secret manager to
#   resolve (1Password `op://`, Vault `vault:`, `ref+` (vals), `<path:...>` (argocd-vault-plugin),
#   a whole `${VAR}` for Flux substitution) or empty are not plaintext.
# related_resources:
#   - ref: https://fluxcd.io/flux/components/kustomize/kustomizations/#decryption
#     description: Flux Kustomization decryption
#   - ref: https://fluxcd.io/flux/guides/mozilla-sops/
#     description: Flux guide, Manage Kubernetes secrets with SOPS
# custom:
#   id: SEC-001
#   name: plaintext-secret
#   kinds: [Secret]
#   severity: error
#   params: [reference_patterns]
#   remediation: >-
#     Encrypt the file with `sops --encrypt --encrypted-regex '^(data|stringData)$'` and let Flux
#     decrypt it (`spec.decryption.provider: sops`), or use SealedSecrets / ExternalSecrets.
package kubegate.sec.plaintext_secret

import rego.v1

import data.lib.k8s

deny contains f if some f in errors(input)

errors(obj) := {f |
	obj.kind == "Secret"
	not _sops_encrypted(obj)
	some key in ["data", "stringData"]
	values := object.get(obj, key, {})
	is_object(values)
	count([k | some k in object.keys(values); _plaintext(values[k])]) > 0
	f := {
		"msg": concat("", ["Secret '", k8s.name(obj), "' holds ", key, " in plain text (not SOPS-encrypted)"]),
		"path": [key],
	}
}

default_reference_patterns := ["^op://", "^vault:", "^ref[+]", "^<path:", "^[$][{][A-Za-z_][A-Za-z0-9_]*[}]$"]

_plaintext(value) if {
	is_string(value)
	value != ""
	not _reference(value)
}

_plaintext(value) if not is_string(value)

_reference(value) if {
	some pattern in k8s.param("SEC-001", "reference_patterns", default_reference_patterns)
	regex.match(pattern, value)
}

_sops_encrypted(obj) if {
	mac := obj.sops.mac
	is_string(mac)
	mac != ""
}
