# METADATA
# title: kustomization.yaml pulls remote resources
# description: >-
#   A kustomization.yaml (kind Kustomization or Component) entry of `resources`, `components` or the deprecated `bases` is a remote
#   target: a URL (`https://`, `ssh://`, `git::`, `git@host:`), a well-known Git host path
#   (`github.com/org/repo/...`) or anything with a `?ref=` or `?version=` query. Its content is
#   fetched at build time from outside the reviewed repository (a branch or tag can move), and
#   Flux's multi-tenancy lockdown (`--no-remote-bases`) makes the Kustomization fail.
# related_resources:
#   - ref: https://fluxcd.io/flux/installation/configuration/multitenancy/
#     description: Flux multi-tenancy lockdown (--no-remote-bases)
#   - ref: https://fluxcd.io/flux/security/best-practices/
#     description: Flux security best practices
#   - ref: https://github.com/kubernetes-sigs/kustomize/blob/master/examples/remoteBuild.md
#     description: kustomize remote targets
# custom:
#   id: FLUX-010
#   name: flux-remote-kustomize-base
#   kinds: [Kustomization, Component]
#   severity: error
#   remediation: >-
#     Vendor the remote base into the repository, or publish it as a Flux source
#     (GitRepository/OCIRepository pinned to a tag or digest) applied by its own Kustomization.
#   params: []
package kubegate.flux.remote_bases

import rego.v1

import data.lib.flux_ext
import data.lib.k8s

deny contains f if some f in errors(input)

errors(obj) := {f |
	some i
	obj.kind in {"Kustomization", "Component"}
	flux_ext.api_group(obj) == flux_ext.kustomize_config_group
	some field in ["resources", "components", "bases"]
	entries := object.get(obj, field, [])
	is_array(entries)
	entry := entries[i]
	is_string(entry)
	_flux10_remote(lower(trim_space(entry)))
	f := {
		"msg": concat("", ["kustomization.yaml ", field, " entry ", format_int(i, 10), " is a remote target fetched at build time"]),
		"path": [field, i],
	}
}

# One regex for every remote spelling (each kustomization entry is tested once, where a body per
# spelling cost the engine a call each): a URL scheme (`https://`, `ssh://`, `file://`), go-getter's
# `git::`, scp-like `user@host:`, a host kustomize recognises without a scheme (github.com,
# gitlab.com, bitbucket.org, dev.azure.com, ssh.dev.azure.com, git-codecommit), or a `ref=` or
# `version=` query anywhere.
_flux10_remote(e) if regex.match(_flux10_remote_pattern, e)

_flux10_remote_pattern := concat("|", [
	`^[a-z][a-z0-9+.-]*://`,
	`^git::`,
	`^[a-z0-9._-]+@[a-z0-9.-]+:`,
	`^(?:github\.com|gitlab\.com|bitbucket\.org|dev\.azure\.com|ssh\.dev\.azure\.com|git-codecommit)/`,
	`[?&]ref=`,
	`\?version=`,
])
