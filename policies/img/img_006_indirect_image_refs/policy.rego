# METADATA
# title: Indirect image reference breaks the image rules
# description: >-
#   Images set outside pod specs get the IMG-001..IMG-004 checks, best effort, as warnings:
#   kustomization.yaml `images[]` and Flux Kustomization `spec.images[]` (`newName`, `newTag`,
#   `digest`), and HelmRelease `spec.values` keys matching `values_key_patterns` (default: keys
#   ending in `image`), either a full reference string or a mapping of `registry`, `repository`,
#   `tag` and `digest` (a `tag` may carry `@sha256:...`). Reported: a registry outside IMG-001's
#   `allowed_registries` (only once configured, and only when the host is known: a values
#   `repository` without a host may take its registry from the chart's defaults), a string reference
#   with neither tag nor digest, a tag in IMG-003's `disallowed_tags` without a digest, a malformed
#   digest, and a tag that YAML reads as a number (`1.10` becomes `1.1`). A values mapping without a
#   tag is not reported: charts default it to their appVersion. A missing digest alone is not
#   reported (IMG-004 covers rendered workloads). Only a render shows what the chart really deploys.
# related_resources:
#   - ref: https://fluxcd.io/flux/components/kustomize/kustomizations/#images
#     description: Flux Kustomization spec.images
#   - ref: https://kubectl.docs.kubernetes.io/references/kustomize/kustomization/images/
#     description: kustomize images transformer
#   - ref: https://fluxcd.io/flux/guides/image-update/
#     description: Flux image update guide
# custom:
#   id: IMG-006
#   name: indirect-image-refs
#   kinds: [Kustomization, Component, HelmRelease]
#   severity: warning
#   remediation: >-
#     Apply the same pinning to image overrides as to pod specs: an allowed registry, an immutable
#     quoted tag, ideally `@sha256:...`.
#   params: [values_key_patterns]
package kubegate.img.indirect_image_refs

import rego.v1

import data.kubegate.img.mutable_tag
import data.lib.images
import data.lib.img_ext
import data.lib.k8s

id := "IMG-006"

warn contains f if some f in warnings(input)

warnings(obj) := {f |
	some r in _img6_refs(obj)
	some f in _img6_checks(obj, r)
}

# --- where references live ------------------------------------------------------------------------

_img6_images_path(obj) := ["images"] if startswith(k8s.text(object.get(obj, "apiVersion", "")), "kustomize.config.k8s.io/")

_img6_images_path(obj) := ["spec", "images"] if {
	obj.kind == "Kustomization"
	startswith(k8s.text(object.get(obj, "apiVersion", "")), "kustomize.toolkit.fluxcd.io/")
}

# A reference: {"img" (images.parse of the composed reference, or undefined parts), "path" (of the
# entry), "name_path", "tag_path", "digest_path", "tag" (raw value), "host_known", "full"}.
_img6_refs(obj) := array.concat(_img6_kustomize_refs(obj), _img6_values_refs(obj))

_img6_kustomize_refs(obj) := [r |
	some i
	base := _img6_images_path(obj)
	list := object.get(obj, base, [])
	is_array(list)
	e := list[i]
	is_object(e)
	at := array.concat(base, [i])
	name := object.get(e, "newName", "")
	r := _img6_record(at, name, object.get(e, "newTag", null), object.get(e, "digest", null), "newName", "newTag", _img6_nonempty(name))
]

_img6_values_refs(obj) := array.concat(_img6_suffix_refs(obj), _img6_regex_refs(obj))

# Two forms of one search, exactly one of which runs: with one key pattern that is a plain word
# anchored at the end (the default, `image$`), a key matches when it ends with the word, which the
# engine tests faster than a regex (compiled per call); otherwise one regex of all patterns.
# Inlined, not functions: this runs for every node of the values. (The root's path is empty, and
# p[-1] is undefined, which skips it.)
_img6_suffix_refs(obj) := [r |
	suffix := _img6_key_suffix
	values := _img6_values(obj)
	walk(values, [p, v])
	key := p[count(p) - 1]
	is_string(key)
	endswith(lower(key), suffix)
	r := _img6_values_ref(array.concat(["spec", "values"], p), v)
]

_img6_regex_refs(obj) := [r |
	not _img6_key_suffix
	values := _img6_values(obj)
	walk(values, [p, v])
	key := p[count(p) - 1]
	is_string(key)
	regex.match(_img6_key_regex, lower(key))
	r := _img6_values_ref(array.concat(["spec", "values"], p), v)
]

_img6_values(obj) := values if {
	obj.kind == "HelmRelease"
	count(_img6_key_patterns) > 0
	values := object.get(obj, ["spec", "values"], null)
	is_object(values)
}

# The key patterns are checked and joined into one regex once per query (each in its own group,
# so its anchors and flags stay its own): every key of every HelmRelease's values is matched.
_img6_key_patterns := [p |
	some p in k8s.param(id, "values_key_patterns", ["image$"])
	is_string(p)
	regex.is_valid(p)
]

_img6_key_regex := concat("|", [concat("", ["(?:", p, ")"]) | some p in _img6_key_patterns])

# The word of the only pattern when it is a plain word anchored at the end (`image$`).
_img6_key_suffix := trim_suffix(_img6_key_patterns[0], "$") if {
	count(_img6_key_patterns) == 1
	regex.match(`^[A-Za-z0-9_-]*[$]$`, _img6_key_patterns[0])
}

_img6_values_ref(at, v) := r if {
	is_string(v)
	img := images.parse(v)
	r := {"img": img, "path": at, "name_path": at, "tag_path": at, "digest_path": at, "tag": img.tag, "digest": img.digest, "host_known": true, "full": true}
}

_img6_values_ref(at, v) := r if {
	is_object(v)
	repo := object.get(v, "repository", "")
	registry := object.get(v, "registry", "")
	name := _img6_join(registry, repo)
	r := _img6_record(at, name, object.get(v, "tag", null), object.get(v, "digest", null), "repository", "tag", _img6_host_known(registry, repo))
}

_img6_join(registry, repo) := concat("/", [registry, repo]) if {
	is_string(registry)
	registry != ""
	is_string(repo)
	repo != ""
} else := repo if is_string(repo) else := ""

_img6_host_known(registry, _) if {
	is_string(registry)
	registry != ""
}

_img6_host_known(_, repo) if {
	is_string(repo)
	parts := split(repo, "/")
	count(parts) > 1
	contains(parts[0], ".")
}

# Compose `name[:tag][@digest]` so that a tag carrying `@sha256:` parses like a pod-spec image.
_img6_record(at, name, tag, digest, name_key, tag_key, host_known) := {
	"img": images.parse(concat("", [_img6_or(name, "placeholder.invalid/unknown"), _img6_prefixed(":", tag), _img6_prefixed("@", digest)])),
	"path": at,
	"name_path": array.concat(at, [name_key]),
	"tag_path": array.concat(at, [tag_key]),
	"digest_path": array.concat(at, ["digest"]),
	"tag": tag,
	"digest": digest,
	"host_known": host_known,
	"full": false,
}

_img6_nonempty(s) := true if {
	is_string(s)
	s != ""
} else := false

_img6_or(s, fallback) := s if {
	is_string(s)
	s != ""
} else := fallback

_img6_prefixed(sep, s) := concat("", [sep, s]) if {
	is_string(s)
	s != ""
} else := ""

# --- the checks -----------------------------------------------------------------------------------

_img6_noun(obj) := "kustomization.yaml" if startswith(k8s.text(object.get(obj, "apiVersion", "")), "kustomize.config.k8s.io/")

_img6_noun(obj) := concat("", [k8s.text(obj.kind), " '", k8s.name(obj), "'"]) if not startswith(k8s.text(object.get(obj, "apiVersion", "")), "kustomize.config.k8s.io/")

_img6_checks(obj, r) := {f |
	not r.img.placeholder
	some c in _img6_problems(r)
	f := {"msg": concat("", [_img6_noun(obj), " image override ", c.msg]), "path": c.path}
}

_img6_problems(r) := {c |
	some list in [_img6_registry(r), _img6_untagged(r), _img6_mutable(r), _img6_bad_digest(r), _img6_numeric_tag(r)]
	some c in list
}

_img6_registry(r) := [{"msg": "is not from an allowed registry (IMG-001 allowed_registries)", "path": r.name_path}] if {
	allowed := k8s.param("IMG-001", "allowed_registries", null)
	is_array(allowed)
	r.host_known
	r.img.repository != "unknown"
	not img_ext.registry_allowed(r.img, allowed)
} else := []

_img6_untagged(r) := [{"msg": "has no tag or digest (IMG-002)", "path": r.path}] if {
	r.full
	r.img.tag == ""
	r.img.digest == ""
} else := []

_img6_mutable(r) := [{"msg": "uses a mutable tag without a digest (IMG-003)", "path": r.tag_path}] if {
	not images.pinned(r.img)
	some t in k8s.param("IMG-003", "disallowed_tags", mutable_tag.default_disallowed_tags)
	lower(r.img.tag) == lower(t)
} else := []

_img6_bad_digest(r) := [{"msg": "has a malformed digest, so it pins nothing (IMG-004)", "path": _img6_digest_path(r)}] if {
	r.img.digest != ""
	not images.pinned(r.img)
} else := []

# The digest came from the `digest` key, or from a `tag` written as `1.2@sha256:...`.
_img6_digest_path(r) := r.digest_path if _img6_nonempty(r.digest)

_img6_digest_path(r) := r.tag_path if not _img6_nonempty(r.digest)

_img6_numeric_tag(r) := [{"msg": "tag is a YAML number, not a string: quote it (1.10 would become 1.1)", "path": r.tag_path}] if {
	is_number(r.tag)
} else := []
