# METADATA
# title: OCIRepository floats or is not verified
# description: >-
#   An OCIRepository (any API version) without `spec.ref` (Flux pulls `latest`), or whose
#   effective ref is the tag `latest` (`digest` takes precedence over `semver`, which takes
#   precedence over `tag`), is an error: whatever is pushed deploys. A `semver` range without
#   `digest` is a warning. Without `spec.verify.provider` `cosign` or `notation` the artifact's
#   signature is not checked, and keyless cosign (`verify` without `secretRef`) without
#   `matchOIDCIdentity` accepts a signature from any identity; both are warnings, errors with
#   `require_verify: true`.
# related_resources:
#   - ref: https://fluxcd.io/flux/components/source/ocirepositories/#reference
#     description: Flux OCIRepository reference (defaults to latest)
#   - ref: https://fluxcd.io/flux/components/source/ocirepositories/#verification
#     description: Flux OCIRepository verification
#   - ref: https://kyverno.io/policies/flux/verify-flux-images/verify-flux-images/
#     description: Kyverno flux/verify-flux-images
# custom:
#   id: FLUX-008
#   name: flux-oci-repository-ref
#   kinds: [OCIRepository]
#   severity: error
#   remediation: >-
#     Pin `spec.ref.tag` to a release or `spec.ref.digest`, and verify signatures with
#     `spec.verify: {provider: cosign, matchOIDCIdentity: [{issuer: ..., subject: ...}]}` (or a
#     `secretRef` with the public keys).
#   params: [require_verify]
package kubegate.flux.oci_repository_ref

import rego.v1

import data.lib.flux_ext
import data.lib.k8s

id := "FLUX-008"

deny contains f if some f in errors(input)

warn contains f if some f in warnings(input)

errors(obj) := _flux8_ref_errors(obj) | {f |
	k8s.param(id, "require_verify", false) == true
	some f in _flux8_verify_findings(obj)
}

warnings(obj) := _flux8_range_warnings(obj) | {f |
	k8s.param(id, "require_verify", false) != true
	some f in _flux8_verify_findings(obj)
}

_flux8_oci(obj) if flux_ext.is_kind(obj, flux_ext.source_group, "OCIRepository")

_flux8_ref(obj) := r if {
	r := object.get(obj, ["spec", "ref"], null)
	is_object(r)
} else := {}

_flux8_set(ref, key) if flux_ext.nonempty_string(object.get(ref, key, null))

_flux8_ref_errors(obj) := {f |
	_flux8_oci(obj)
	ref := _flux8_ref(obj)
	not _flux8_set(ref, "digest")
	not _flux8_set(ref, "semver")
	not _flux8_set(ref, "tag")
	f := {
		"msg": concat("", ["OCIRepository '", k8s.name(obj), "' sets no spec.ref tag, semver or digest: Flux pulls the latest tag"]),
		"path": flux_ext.present_path(obj, ["spec", "ref"]),
	}
} | {f |
	_flux8_oci(obj)
	ref := _flux8_ref(obj)
	not _flux8_set(ref, "digest")
	not _flux8_set(ref, "semver")
	_flux8_set(ref, "tag")
	lower(ref.tag) == "latest"
	f := {
		"msg": concat("", ["OCIRepository '", k8s.name(obj), "' tracks the latest tag without a digest: whatever is pushed deploys"]),
		"path": ["spec", "ref", "tag"],
	}
}

_flux8_range_warnings(obj) := {f |
	_flux8_oci(obj)
	ref := _flux8_ref(obj)
	not _flux8_set(ref, "digest")
	_flux8_set(ref, "semver")
	not flux_ext.exact_semver(ref.semver)
	not flux_ext.placeholder(ref.semver)
	f := {
		"msg": concat("", ["OCIRepository '", k8s.name(obj), "' follows a semver range without a digest: new releases deploy without a commit"]),
		"path": ["spec", "ref", "semver"],
	}
}

_flux8_verify_findings(obj) := {f |
	_flux8_oci(obj)
	not object.get(obj, ["spec", "verify", "provider"], null) in {"cosign", "notation"}
	f := {
		"msg": concat("", ["OCIRepository '", k8s.name(obj), "' does not verify artifact signatures (spec.verify.provider cosign or notation)"]),
		"path": flux_ext.present_path(obj, ["spec", "verify", "provider"]),
	}
} | {f |
	_flux8_oci(obj)
	object.get(obj, ["spec", "verify", "provider"], null) == "cosign"
	object.get(obj, ["spec", "verify", "secretRef"], null) == null
	not _flux8_identities(object.get(obj, ["spec", "verify", "matchOIDCIdentity"], null))
	f := {
		"msg": concat("", ["OCIRepository '", k8s.name(obj), "' verifies keyless cosign signatures without spec.verify.matchOIDCIdentity: any signer is accepted"]),
		"path": flux_ext.present_path(obj, ["spec", "verify", "matchOIDCIdentity"]),
	}
}

_flux8_identities(ids) if {
	is_array(ids)
	count(ids) > 0
}
