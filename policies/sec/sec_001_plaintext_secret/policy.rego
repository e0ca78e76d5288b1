# METADATA
# title: Secret committed in plain text
# description: >-
#   A Secret has non-empty `data` or `stringData` and is not SOPS-encrypted (no top-level
#   `sops.mac`). base64 in `data` is an encoding, not encryption: anyone who can read the
#   repository can read the Secret.
# related_resources:
#   - ref: https://fluxcd.io/flux/components/kustomize/kustomizations/#decryption
#     description: Flux Kustomization decryption
#   - ref: https://fluxcd.io/flux/guides/mozilla-sops/
#     description: Flux guide, Manage Kubernetes secrets with SOPS
# custom:
#   id: SEC-001
#   name: plaintext-secret
#   severity: error
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
	count(values) > 0
	f := {
		"msg": concat("", ["Secret '", k8s.name(obj), "' holds ", key, " in plain text (not SOPS-encrypted)"]),
		"path": [key],
	}
}

_sops_encrypted(obj) if {
	mac := obj.sops.mac
	is_string(mac)
	mac != ""
}
