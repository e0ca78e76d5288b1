# METADATA
# title: Flux source is not allowlisted or is insecure
# description: >-
#   Where Flux fetches from: GitRepository, HelmRepository and OCIRepository `spec.url`, Bucket
#   `spec.endpoint` and ImageRepository `spec.image` (any API version) must match
#   `allowed_sources`: an entry equal to the address, or a prefix of it ending at a `/` (so
#   `https://github.com/org` does not admit `https://github.com/org-evil/...`); entries without a
#   scheme (`github.com/org/`) match `https://` and `ssh://git@` addresses alike. Once
#   `allowed_sources` is configured an unlisted source is an error; before, with tenants declared
#   (`tenancy`), every source is a warning, and a single-tenant fleet is not asked for one. `spec.insecure:
#   true` (plain HTTP or unverified TLS) is an error; HelmRepository `spec.passCredentials: true`
#   (credentials sent to every host the index points at) is a warning. An unresolved `${VAR}`
#   address is left to the render.
# related_resources:
#   - ref: https://kyverno.io/policies/flux/verify-flux-sources/verify-flux-sources/
#     description: Kyverno flux/verify-flux-sources
#   - ref: https://kyverno.io/policies/flux/verify-git-repositories/verify-git-repositories/
#     description: Kyverno flux/verify-git-repositories
#   - ref: https://fluxcd.io/flux/components/source/helmrepositories/#pass-credentials
#     description: Flux HelmRepository passCredentials
#   - ref: https://fluxcd.io/flux/components/source/ocirepositories/#insecure
#     description: Flux OCIRepository insecure
# custom:
#   id: FLUX-009
#   name: flux-source-allowlist
#   kinds: [GitRepository, HelmRepository, OCIRepository, Bucket, ImageRepository]
#   severity: error
#   remediation: >-
#     List the organisation's Git hosts, chart repositories and registries in
#     `policies.params.FLUX-009.allowed_sources` (`github.com/example/`, `oci://ghcr.io/example/`),
#     serve sources over TLS without `insecure`, and drop `passCredentials`.
#   params: [allowed_sources]
package kubegate.flux.source_allowlist

import rego.v1

import data.lib.flux_ext
import data.lib.k8s

id := "FLUX-009"

deny contains f if some f in errors(input)

warn contains f if some f in warnings(input)

# Where each source kind keeps its address.
_flux9_address := {
	"source.toolkit.fluxcd.io": {"GitRepository": "url", "HelmRepository": "url", "OCIRepository": "url", "Bucket": "endpoint"},
	"image.toolkit.fluxcd.io": {"ImageRepository": "image"},
}

errors(obj) := {f |
	entries := k8s.param(id, "allowed_sources", null)
	entries != null
	some f in _flux9_unlisted(obj, entries, "is not in allowed_sources")
} | {f |
	_flux9_field(obj)
	object.get(obj, ["spec", "insecure"], null) == true
	f := {
		"msg": concat("", [obj.kind, " '", k8s.name(obj), "' sets spec.insecure: the source is fetched without TLS verification"]),
		"path": ["spec", "insecure"],
	}
}

warnings(obj) := {f |
	k8s.param(id, "allowed_sources", null) == null
	k8s.multi_tenant # a single-tenant fleet is not nagged on every source to write an allowlist
	some f in _flux9_unlisted(obj, [], "is not checked against an allowlist (set allowed_sources)")
} | {f |
	flux_ext.is_kind(obj, flux_ext.source_group, "HelmRepository")
	object.get(obj, ["spec", "passCredentials"], null) == true
	f := {
		"msg": concat("", ["HelmRepository '", k8s.name(obj), "' sets spec.passCredentials: its credentials go to every host the index points at"]),
		"path": ["spec", "passCredentials"],
	}
}

_flux9_field(obj) := field if field := _flux9_address[flux_ext.api_group(obj)][obj.kind]

_flux9_unlisted(obj, entries, why) := {f |
	field := _flux9_field(obj)
	address := object.get(obj, ["spec", field], null)
	is_string(address)
	not flux_ext.placeholder(address)
	not flux_ext.source_allowed(address, entries)
	f := {
		"msg": concat("", [obj.kind, " '", k8s.name(obj), "' spec.", field, " ", why]),
		"path": ["spec", field],
	}
}
