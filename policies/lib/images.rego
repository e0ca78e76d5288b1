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
#
# Written without branches where it can be: a dozen rules call it for every container, and each
# user function call or extra definition costs an embedded engine more than the string built-ins
# (measured: 46 -> 27 us per call in regorus). Everything after the first `@` is the digest; the
# tag is what follows the first `:` of the last path segment (`host:5000/app` has a port).
parse(ref) := out if {
	is_string(ref)
	at := split(ref, "@")
	name_tag := at[0]
	segments := split(name_tag, "/")
	last := split(segments[count(segments) - 1], ":")
	tag := concat(":", array.slice(last, 1, count(last)))

	# "app:" has an empty tag: trimming ":" + tag leaves the name in every case.
	name := trim_suffix(name_tag, concat("", [":", tag]))
	reg := _registry(split(name, "/"))
	out := {
		"registry": reg[0],
		"repository": reg[1],
		"tag": tag,
		"digest": concat("@", array.slice(at, 1, count(at))),
		"name": name,
		"normalized": concat("/", reg),
		"placeholder": contains(ref, "${"),
	}
}

# A first segment is a registry host when it has a dot or a port, or is localhost (Docker's rule);
# otherwise the registry is Docker Hub, whose one-segment names live under `library/`.
_registry(parts) := [parts[0], concat("/", array.slice(parts, 1, count(parts)))] if {
	count(parts) > 1
	contains(replace(parts[0], ":", "."), ".") # a dot or a colon, without a regex (compiled per call)
} else := [parts[0], concat("/", array.slice(parts, 1, count(parts)))] if {
	count(parts) > 1
	parts[0] == "localhost"
} else := ["docker.io", concat("/", parts)] if {
	count(parts) > 1
} else := ["docker.io", concat("/", ["library", parts[0]])]

# valid_digest(d): an algorithm-qualified digest of the right length.
# (The prefix first: an engine compiles a regex on every call, and most references have no digest.)
valid_digest(d) if {
	startswith(d, "sha256:")
	regex.match(digest_pattern, d)
}

valid_digest(d) if {
	startswith(d, "sha512:")
	regex.match(digest_pattern_512, d)
}

# pinned(img): the reference carries a valid digest, so the tag (if any) does not matter.
pinned(img) if {
	img.digest != ""
	valid_digest(img.digest)
}

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
