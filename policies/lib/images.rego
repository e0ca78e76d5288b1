# METADATA
# title: Container image reference helpers
# description: >-
#   Parses image references the way container runtimes do: the tag is looked for only after the
#   last `/` (so `host:5000/app` has a port, not a tag), a digest after `@` governs over a tag, and
#   Docker Hub short names are normalised to `docker.io/library/...`.
# scope: package
package lib.images

import rego.v1

digest_pattern := `^sha256:[a-f0-9]{64}$`

digest_pattern_512 := `^sha512:[a-f0-9]{128}$`

# parse(ref) -> {"registry", "repository", "tag", "digest", "name", "normalized", "placeholder"}
# "" stands for an absent part. `name` is the reference without tag and digest as written;
# `normalized` is registry/repository with Docker Hub defaults filled in.
parse(ref) := out if {
	is_string(ref)
	at := _split_digest(ref)
	nt := _split_tag(at[0])
	reg := _registry(nt[0])
	out := {
		"registry": reg[0],
		"repository": reg[1],
		"tag": nt[1],
		"digest": at[1],
		"name": nt[0],
		"normalized": concat("/", [reg[0], reg[1]]),
		"placeholder": contains(ref, "${"),
	}
}

_split_digest(ref) := [ref, ""] if not contains(ref, "@")

_split_digest(ref) := [substring(ref, 0, i), substring(ref, i + 1, -1)] if {
	i := indexof(ref, "@")
	i >= 0
}

# The tag is the part after a colon in the last path segment only.
_split_tag(name) := [name, ""] if {
	parts := split(name, "/")
	not contains(parts[count(parts) - 1], ":")
}

_split_tag(name) := [concat("/", array.concat(array.slice(parts, 0, n - 1), [seg[0]])), tag] if {
	parts := split(name, "/")
	n := count(parts)
	contains(parts[n - 1], ":")
	seg := split(parts[n - 1], ":")
	tag := concat(":", array.slice(seg, 1, count(seg)))
}

# A first segment is a registry host when it has a dot or a port, or is localhost (Docker's rule).
_registry(name) := [first, concat("/", array.slice(parts, 1, count(parts)))] if {
	parts := split(name, "/")
	count(parts) > 1
	first := parts[0]
	_is_host(first)
}

_registry(name) := ["docker.io", repo] if {
	parts := split(name, "/")
	not _has_host(parts)
	repo := _hub_repo(parts)
}

_has_host(parts) if {
	count(parts) > 1
	_is_host(parts[0])
}

_is_host(s) if contains(s, ".")

_is_host(s) if contains(s, ":")

_is_host(s) if s == "localhost"

_hub_repo(parts) := concat("/", ["library", parts[0]]) if count(parts) == 1

_hub_repo(parts) := concat("/", parts) if count(parts) > 1

# valid_digest(d): an algorithm-qualified digest of the right length.
valid_digest(d) if regex.match(digest_pattern, d)

valid_digest(d) if regex.match(digest_pattern_512, d)

# pinned(img): the reference carries a valid digest, so the tag (if any) does not matter.
pinned(img) if valid_digest(img.digest)

# matches(img, pattern): exact match of the reference as written or normalised; a pattern
# ending in `/` or `*` is a prefix. `registry.example.com` therefore does not match
# `registry.example.com.evil.io/app`: write `registry.example.com/` for a whole registry.
matches(img, pattern) if {
	forms := _forms(img)
	forms[_] == pattern
}

matches(img, pattern) if {
	endswith(pattern, "/")
	some form in _forms(img)
	startswith(form, pattern)
}

matches(img, pattern) if {
	endswith(pattern, "*")
	prefix := trim_suffix(pattern, "*")
	some form in _forms(img)
	startswith(form, prefix)
}

_forms(img) := [img.name, img.normalized]

matches_any(img, patterns) if {
	some p in patterns
	matches(img, p)
}
