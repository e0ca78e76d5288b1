# METADATA
# title: Image provenance helpers (IMG-001, IMG-004..IMG-007)
# description: >-
#   Registry allowlist matching on canonical references (Docker Hub spellings folded into
#   `docker.io/library/...`), where a raw resource lives (data.kubegate.sources), path globs, and
#   the run's $imagepolicy markers (data.kubegate.comments).
# scope: package
package lib.img_ext

import rego.v1

import data.lib.k8s

what := {"containers": "container", "initContainers": "init container", "ephemeralContainers": "ephemeral container"}

# Docker Hub answers to three host names; `docker.io/nginx` means `docker.io/library/nginx`.
hub_hosts := {"docker.io", "index.docker.io", "registry-1.docker.io"}

# reference_forms(img): the reference as written and normalised, plus the canonical Docker Hub form,
# lowercased (registry host names are case-insensitive; repositories must be lowercase anyway).
reference_forms(img) := {lower(f) | some f in array.concat([img.name, img.normalized], hub_canonical(img))}

hub_canonical(img) := [concat("/", ["docker.io", repo])] if {
	lower(img.registry) in hub_hosts
	repo := hub_repository(img.repository)
} else := []

hub_repository(repo) := concat("/", ["library", repo]) if not contains(repo, "/")

hub_repository(repo) := repo if contains(repo, "/")

# registry_allowed(img, entries): an entry equals a form of the reference, or is a prefix of it
# ending in `/`. No bare string prefix: `registry.example.com` must not admit
# `registry.example.com.evil.io/app`, and `ghcr.io/org` must not admit `ghcr.io/org-evil/app`.
registry_allowed(img, entries) if {
	some entry in entries
	is_string(entry)
	e := lower(entry)
	some form in reference_forms(img)
	allowlist_match(form, e)
}

allowlist_match(form, entry) if form == entry

allowlist_match(form, entry) if {
	endswith(entry, "/")
	startswith(form, entry)
}

# checkable(img): a reference worth checking: parsed, non-empty, no unresolved ${VAR} (IMG-002 warns).
checkable(img) if {
	not img.placeholder
	img.repository != ""
}

# sources / comments: data.kubegate.sources and data.kubegate.comments, [] when absent.
sources := s if {
	s := data.kubegate.sources
	is_array(s)
} else := []

comments := c if {
	c := data.kubegate.comments
	is_array(c)
} else := []

# comments_named(kind, name): the run's markers on documents of that kind and name. O(1) through
# data.kubegate.comment_index ("Kind/name" -> indexes into comments) when kubegate gives it: scanning
# every marker for every document made IMG-007 quadratic in the fleet. Without the index (conftest,
# unit tests), a scan.
comments_named(kind, name) := cs if {
	index := data.kubegate.comment_index
	is_object(index)
	cs := [c |
		some i in object.get(index, concat("/", [k8s.text(kind), k8s.text(name)]), [])
		c := comments[i]
	]
} else := [c |
	some c in comments
	is_object(c)
	c.kind == kind
	c.name == name
]

# source_files(obj): files of the raw resources with obj's kind and name whose namespace is obj's
# or unset (kustomize or Flux may add the namespace later). Several files when overlays repeat it.
# None for a nameless object (a kustomization.yaml): kind and name cannot tell its file from the
# others, and matching every nameless file against every other was quadratic.
source_files(obj) := {clean_path(s.file) |
	name := k8s.name(obj)
	name != ""
	ns := k8s.namespace(obj)
	some s in _sources_named(obj)
	is_object(s)
	s.kind == obj.kind
	s.name == name
	same_or_unset_namespace(object.get(s, "namespace", null), ns)
	is_string(s.file)
}

# The entries for obj's kind and name: O(1) through data.kubegate.source_index when kubegate gives it
# (scanning every source for every document made rules quadratic in the fleet), else the whole list.
_sources_named(obj) := entries if {
	index := data.kubegate.source_index
	is_object(index)
	entries := object.get(index, concat("/", [k8s.text(obj.kind), k8s.name(obj)]), [])
} else := sources

same_or_unset_namespace(ns, _) if ns == null

same_or_unset_namespace(ns, _) if ns == ""

same_or_unset_namespace(ns, mine) if ns == mine

# clean_path(p): p without a leading `./` (Flux writes `./apps`, sources are `apps/...`).
clean_path(p) := trim_prefix(p, "./")

# path_matches(file, pattern): a glob with `/` as separator (`clusters/prod/**`), or a directory
# prefix ending in `/` (`clusters/prod/`).
path_matches(file, pattern) if glob.match(clean_path(pattern), ["/"], file)

path_matches(file, pattern) if {
	endswith(pattern, "/")
	startswith(file, clean_path(pattern))
}
