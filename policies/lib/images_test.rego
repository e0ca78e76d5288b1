package lib.images_test

import rego.v1

import data.lib.images

d64 := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

test_port_is_not_a_tag if {
	img := images.parse("host:5000/app")
	img.tag == ""
	img.registry == "host:5000"
	img.repository == "app"
}

test_port_and_tag if {
	img := images.parse("host:5000/team/app:1.2")
	img.tag == "1.2"
	img.name == "host:5000/team/app"
	img.normalized == "host:5000/team/app"
}

test_hub_short_name_normalised if {
	img := images.parse("nginx")
	img.normalized == "docker.io/library/nginx"
	img.tag == ""
	images.parse("bitnami/redis:7").normalized == "docker.io/bitnami/redis"
}

test_localhost_is_a_registry if {
	images.parse("localhost/app").registry == "localhost"
}

test_tag_and_digest_digest_governs if {
	img := images.parse(concat("", ["nginx:latest@sha256:", d64]))
	img.tag == "latest"
	img.digest == concat("", ["sha256:", d64])
	images.pinned(img)
}

test_short_or_bad_digest_does_not_pin if {
	not images.pinned(images.parse("nginx@sha256:abc"))
	not images.pinned(images.parse(concat("", ["nginx@md5:", d64])))
	not images.pinned(images.parse(concat("", ["nginx@sha256:", upper(d64)])))
}

test_edge_spellings_parse_like_a_runtime if {
	# An empty tag after the colon, colons inside a tag, a colon in a middle segment (not a tag),
	# and a second `@` inside the digest.
	images.parse("app:").name == "app"
	images.parse("app:").tag == ""
	images.parse("app:a:b").tag == "a:b"
	images.parse("reg.io/a:b/c").tag == ""
	images.parse("reg.io/a:b/c").repository == "a:b/c"
	images.parse("a@b@c").digest == "b@c"
	images.parse("a@b@c").name == "a"
	images.parse("localhost:5000/a/b:c").registry == "localhost:5000"
	images.parse("team/app").repository == "team/app"
}

test_sha512_digest_pins if {
	d128 := concat("", [d64, d64])
	images.pinned(images.parse(concat("", ["nginx@sha512:", d128])))
	not images.pinned(images.parse(concat("", ["nginx@sha512:", d64])))
	not images.pinned(images.parse(concat("", ["nginx@sha256:", d128])))
	not images.pinned(images.parse("nginx"))
}

test_placeholder_flagged if {
	images.parse("ghcr.io/org/app:${TAG}").placeholder
	not images.parse("ghcr.io/org/app:1").placeholder
}

test_non_string_is_undefined if {
	not images.parse(42)
}

test_allowlist_prefix_needs_slash if {
	img := images.parse("registry.example.com.evil.io/app:1")
	not images.matches(img, "registry.example.com")
	not images.matches(img, "registry.example.com/")
	images.matches(images.parse("registry.example.com/app:1"), "registry.example.com/")
}

test_allowlist_exact_and_glob if {
	images.matches(images.parse("nginx:1.25"), "docker.io/library/nginx")
	images.matches(images.parse("nginx:1.25"), "nginx")
	images.matches(images.parse("ghcr.io/org/app:1"), "ghcr.io/org/*")
	not images.matches(images.parse("ghcr.io/other/app:1"), "ghcr.io/org/*")
}
