# METADATA
# title: Flux Kustomization applies SOPS files without decryption
# description: >-
#   A Flux Kustomization (any API version) whose `spec.path` holds files with SOPS-encrypted
#   documents (data.kubegate.sops_files) does not set `spec.decryption.provider: sops`: the
#   controller applies the ciphertext as is, the reconciliation fails, or an `ENC[...]` value lands
#   in a Secret. Best effort: `spec.path` is relative to the root of the Kustomization's source
#   while the SOPS file names are relative to the run's working directory. When that directory is
#   the repository root (the usual run), a file counts if it lies under `spec.path`; when the files
#   were given as absolute or `../` paths, a file counts if `/<spec.path>/` occurs in its name. A
#   Kustomization at the source root (no or `./` path) is not judged, as it usually applies
#   another repository or an OCI artifact; a kustomization.yaml that leaves the SOPS file out of
#   its resources still counts.
# related_resources:
#   - ref: https://fluxcd.io/flux/components/kustomize/kustomizations/#decryption
#     description: Flux Kustomization decryption
#   - ref: https://fluxcd.io/flux/guides/mozilla-sops/
#     description: Flux guide, Manage Kubernetes secrets with SOPS
# custom:
#   id: FLUX-005
#   name: flux-sops-decryption
#   kinds: [Kustomization]
#   severity: error
#   remediation: >-
#     Add `spec.decryption: {provider: sops, secretRef: {name: sops-age}}` (or rely on the cloud KMS
#     identity of the controller) to the Kustomization that applies the encrypted files.
#   params: []
package kubegate.flux.sops_decryption

import rego.v1

import data.lib.flux_ext
import data.lib.k8s

deny contains f if some f in errors(input)

errors(obj) := {f |
	flux_ext.is_kind(obj, flux_ext.kustomize_group, "Kustomization")
	object.get(obj, ["spec", "decryption", "provider"], null) != "sops"
	dir := _flux5_dir(object.get(obj, ["spec", "path"], null))
	dir != ""
	count([file | some file in _flux5_sops_files; _flux5_under(file, dir)]) > 0
	f := {
		"msg": concat("", ["Kustomization '", k8s.name(obj), "' applies SOPS-encrypted files but does not set spec.decryption.provider to sops"]),
		"path": flux_ext.present_path(obj, ["spec", "decryption", "provider"]),
	}
}

_flux5_sops_files := [trim_prefix(f, "./") |
	files := data.kubegate.sops_files
	is_array(files)
	some f in files
	is_string(f)
]

# _flux5_dir(path): spec.path without `./`, leading or trailing `/`; "" for the source root.
_flux5_dir(path) := trim(trim_prefix(trim(path, " "), "./"), "/") if {
	is_string(path)
	path != "."
}

_flux5_dir(path) := "" if path == "."

# Run from the repository root: file names are relative to it.
_flux5_under(file, dir) if startswith(file, concat("", [dir, "/"]))

# Run on absolute or `../` paths: the repository root is somewhere in the name.
_flux5_under(file, dir) if {
	_flux5_outside(file)
	contains(file, concat("", ["/", dir, "/"]))
}

_flux5_outside(file) if startswith(file, "/")

_flux5_outside(file) if startswith(file, "../")
