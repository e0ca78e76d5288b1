package kubegate.img.allowed_tag_pattern_test

import rego.v1

import data.kubegate.img.allowed_tag_pattern as p

img5_d64 := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

img5_pod(image) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "a", "image": image}]}}

img5_paths(set) := {f.path | some f in set}

img5_params := {"IMG-005": {"allowed_tag_regex": `^[0-9]+\.[0-9]+\.[0-9]+-[0-9a-f]{7}$`}}

test_off_until_configured if {
	count(p.warnings(img5_pod("nginx:whatever"))) == 0
	count(p.warnings(img5_pod("nginx:whatever"))) == 0 with data.params as {"IMG-005": {"allowed_tag_regex": ""}}
}

test_tag_must_match if {
	params := img5_params
	count(p.warnings(img5_pod("ghcr.io/org/app:1.4.2-abc1234"))) == 0 with data.params as params
	img5_paths(p.warnings(img5_pod("ghcr.io/org/app:1.4.2"))) == {["spec", "containers", 0, "image"]} with data.params as params
}

test_regex_is_case_sensitive if {
	params := img5_params
	count(p.warnings(img5_pod("ghcr.io/org/app:1.4.2-ABC1234"))) == 1 with data.params as params
}

test_digest_does_not_excuse_the_tag if {
	params := img5_params
	count(p.warnings(img5_pod(concat("", ["app:latest@sha256:", img5_d64])))) == 1 with data.params as params
	count(p.warnings(img5_pod(concat("", ["app@sha256:", img5_d64])))) == 0 with data.params as params
}

test_port_is_not_a_tag if {
	# `host:5000/app` has no tag (IMG-002's concern); the port must not be read as a tag.
	params := img5_params
	count(p.warnings(img5_pod("registry.example.com:5000/app"))) == 0 with data.params as params
	count(p.warnings(img5_pod("registry.example.com:5000/app:1.0.0-abc1234"))) == 0 with data.params as params
}

test_placeholder_and_exempt if {
	params := {"IMG-005": {"allowed_tag_regex": "^v[0-9]+$", "exempt_images": ["docker.io/library/"]}}
	count(p.warnings(img5_pod("ghcr.io/org/app:${TAG}"))) == 0 with data.params as params
	count(p.warnings(img5_pod("nginx:1.25"))) == 0 with data.params as params
	count(p.warnings(img5_pod("ghcr.io/org/app:1.25"))) == 1 with data.params as params
}

test_invalid_regex_is_reported if {
	params := {"IMG-005": {"allowed_tag_regex": "(unclosed"}}
	fs := p.warnings(img5_pod("ghcr.io/org/app:1.0")) with data.params as params
	count(fs) == 1
	some f in fs
	contains(f.msg, "not a valid regular expression")
}

test_wiring if {
	w := p.warn with input.kind as "Pod" with input.spec as {"containers": [{"name": "a", "image": "nginx:1.25"}]}
		with data.params as {"IMG-005": {"allowed_tag_regex": "^v[0-9]+$"}}
	img5_paths(w) == {["spec", "containers", 0, "image"]}
}
