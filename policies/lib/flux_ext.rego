# METADATA
# title: Flux helpers (FLUX-001..FLUX-010)
# description: >-
#   Flux objects recognised by API group and kind (every API version: v1, v1beta1, v1beta2,
#   v2beta1, v2beta2, v2), platform namespaces, exact semver, `namespace/name` patterns, and source
#   URL allowlists with a boundary after the matched prefix.
# scope: package
package lib.flux_ext

import rego.v1

import data.lib.k8s

kustomize_group := "kustomize.toolkit.fluxcd.io"

helm_group := "helm.toolkit.fluxcd.io"

source_group := "source.toolkit.fluxcd.io"

image_group := "image.toolkit.fluxcd.io"

kustomize_config_group := "kustomize.config.k8s.io"

# api_group(obj): the group of obj's apiVersion ("" for the core group or a malformed value).
api_group(obj) := g if {
	api := obj.apiVersion
	is_string(api)
	parts := split(api, "/")
	count(parts) == 2
	g := parts[0]
} else := ""

# is_kind(obj, group, kind): obj is `kind` of API `group`, whatever the version: Flux has served
# the same kinds as v1beta1..v2 and fleets mix them.
is_kind(obj, group, kind) if {
	obj.kind == kind
	api_group(obj) == group
}

# is_flux_sync(obj): a Flux Kustomization or HelmRelease, the objects that apply manifests.
is_flux_sync(obj) if is_kind(obj, kustomize_group, "Kustomization")

is_flux_sync(obj) if is_kind(obj, helm_group, "HelmRelease")

default_platform_namespaces := ["flux-system"]

# platform_namespace(id, ns): ns is one of the rule's platform_namespaces (flux-system by
# default), which reconcile as cluster-admin by design.
platform_namespace(id, ns) if {
	some p in k8s.param(id, "platform_namespaces", default_platform_namespaces)
	ns == p
}

# ns_name_matches(patterns, ns, name): some pattern globs `namespace/name` (`apps/*`, `*/infra`).
ns_name_matches(patterns, ns, name) if {
	is_array(patterns)
	some p in patterns
	is_string(p)
	glob.match(p, ["/"], concat("/", [ns, name]))
}

# exact_semver(v): one exact version (`1.2.3`, `v1.2.3-rc.1+build`), not a range or wildcard.
# Helm and Flux read `1.2` as `1.2.x`, so a partial version is a range too.
exact_semver(v) if {
	is_string(v)
	regex.match(`^=?v?(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`, v)
}

# placeholder(v): an unresolved `${VAR}` postBuild substitution: its value is unknown before render.
placeholder(v) if {
	is_string(v)
	contains(v, "${")
}

# nonempty_string(v): a string with content; an empty field means "unset" to the controllers.
nonempty_string(v) if {
	is_string(v)
	v != ""
}

# present_path(obj, path): the longest prefix of path that exists in obj, so a finding about an
# absent field points at its nearest existing parent.
present_path(obj, path) := array.slice(path, 0, n) if {
	n := max({i |
		some i in numbers.range(0, count(path))
		object.get(obj, array.slice(path, 0, i), null) != null
	})
}

# source_allowed(url, entries): an entry equals the URL (lowercased, with or without its scheme and
# user), or is a prefix of it ending at a `/` boundary: `https://github.com/org` must not admit
# `https://github.com/org-evil/x`, nor `registry.example.com` admit `registry.example.com.evil.io/`.
source_allowed(url, entries) if {
	is_array(entries)
	some entry in entries
	is_string(entry)
	entry != ""
	some form in url_forms(url)
	prefix_at_boundary(form, lower(entry))
}

prefix_at_boundary(form, entry) if form == entry

prefix_at_boundary(form, entry) if {
	endswith(entry, "/")
	startswith(form, entry)
}

prefix_at_boundary(form, entry) if startswith(form, concat("", [entry, "/"]))

# url_forms(url): the URL lowercased, and without `scheme://` and `user@` (`ssh://git@github.com/x`
# and `https://github.com/x` both give `github.com/x`), so one scheme-less entry covers both.
url_forms(url) := {u, _strip_user(_strip_scheme(u))} if u := lower(url)

_strip_scheme(u) := substring(u, i + 3, -1) if {
	i := indexof(u, "://")
	i > 0
} else := u

_strip_user(u) := substring(u, i + 1, -1) if {
	i := indexof(u, "@")
	slash := indexof(u, "/")
	i > 0
	_at_before_slash(i, slash)
} else := u

_at_before_slash(_, slash) if slash < 0

_at_before_slash(at, slash) if at < slash
