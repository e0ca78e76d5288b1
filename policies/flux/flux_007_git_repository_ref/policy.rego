# METADATA
# title: GitRepository tracks a branch or uses an unauthenticated transport
# description: >-
#   A GitRepository (any API version) whose `spec.url` is not `https://` or `ssh://` is an error:
#   `http://` and `git://` are unauthenticated and unencrypted, and Flux rejects scp-like
#   `git@host:path` addresses. A GitRepository without `spec.ref` (Flux then tracks `master`) or
#   whose ref only names a branch (`branch`, or `name: refs/heads/...`; a `tag`, `semver`,
#   `commit` or `name: refs/tags/...` takes precedence) is a warning: whatever is pushed to the
#   branch deploys. The fleet's own GitRepository tracks a branch by design, so objects in
#   `platform_namespaces` (default `flux-system`) and `namespace/name` globs in
#   `allow_branch_sources` are not warned about branches. An unresolved `${VAR}` URL is left to
#   the render.
# related_resources:
#   - ref: https://fluxcd.io/flux/components/source/gitrepositories/#reference
#     description: Flux GitRepository reference (defaults to master)
#   - ref: https://fluxcd.io/flux/components/source/gitrepositories/#url
#     description: Flux GitRepository URL schemes
#   - ref: https://fluxcd.io/flux/installation/configuration/multitenancy/
#     description: Flux multi-tenancy (the fleet repository tracks a branch)
# custom:
#   id: FLUX-007
#   name: flux-git-repository-ref
#   kinds: [GitRepository]
#   severity: error
#   remediation: >-
#     Use an `https://` or `ssh://` URL with credentials in `spec.secretRef`, and pin a `tag`,
#     `semver` or `commit`; allow reviewed branch-tracking sources by `namespace/name` in
#     `policies.params.FLUX-007.allow_branch_sources`.
#   params: [platform_namespaces, allow_branch_sources]
package kubegate.flux.git_repository_ref

import rego.v1

import data.lib.flux_ext
import data.lib.k8s

id := "FLUX-007"

deny contains f if some f in errors(input)

warn contains f if some f in warnings(input)

errors(obj) := {f |
	flux_ext.is_kind(obj, flux_ext.source_group, "GitRepository")
	url := object.get(obj, ["spec", "url"], null)
	url != null
	not flux_ext.placeholder(url)
	not _flux7_secure_url(url)
	f := {
		"msg": concat("", ["GitRepository '", k8s.name(obj), "' spec.url is not an https:// or ssh:// URL"]),
		"path": ["spec", "url"],
	}
}

warnings(obj) := {f |
	flux_ext.is_kind(obj, flux_ext.source_group, "GitRepository")
	not _flux7_exempt(obj)
	some f in _flux7_ref_findings(obj)
}

_flux7_secure_url(url) if {
	is_string(url)
	startswith(lower(url), "https://")
}

_flux7_secure_url(url) if {
	is_string(url)
	startswith(lower(url), "ssh://")
}

_flux7_exempt(obj) if flux_ext.platform_namespace(id, k8s.namespace(obj))

_flux7_exempt(obj) if flux_ext.ns_name_matches(k8s.param(id, "allow_branch_sources", []), k8s.namespace(obj), k8s.name(obj))

_flux7_ref_findings(obj) := {f |
	not _flux7_pinned(object.get(obj, ["spec", "ref"], null))
	f := {
		"msg": concat("", ["GitRepository '", k8s.name(obj), "' ", _flux7_what(object.get(obj, ["spec", "ref"], null)), ": whatever is pushed there deploys"]),
		"path": _flux7_path(obj),
	}
}

# Flux's precedence is commit > name > semver > tag > branch; any of the first four pins more
# than a branch, except a `name` that is itself a branch (`refs/heads/...`) or a pull request.
_flux7_pinned(ref) if _flux7_set(ref, "commit")

_flux7_pinned(ref) if {
	not _flux7_set(ref, "commit")
	_flux7_set(ref, "name")
	startswith(ref.name, "refs/tags/")
}

_flux7_pinned(ref) if {
	not _flux7_set(ref, "commit")
	not _flux7_set(ref, "name")
	some key in ["semver", "tag"]
	_flux7_set(ref, key)
}

_flux7_set(ref, key) if {
	is_object(ref)
	flux_ext.nonempty_string(object.get(ref, key, null))
}

_flux7_what(ref) := "sets no spec.ref (Flux tracks the master branch)" if not is_object(ref)

_flux7_what(ref) := "tracks a branch" if is_object(ref)

_flux7_path(obj) := ["spec", "ref", "name"] if flux_ext.nonempty_string(object.get(obj, ["spec", "ref", "name"], null))

_flux7_path(obj) := p if {
	not flux_ext.nonempty_string(object.get(obj, ["spec", "ref", "name"], null))
	p := flux_ext.present_path(obj, ["spec", "ref", "branch"])
}
