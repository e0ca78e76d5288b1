package kubegate.img.mutable_tag_test

import rego.v1

import data.kubegate.img.mutable_tag as p

d64 := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

pod(image) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "a", "image": image}]}}

paths(set) := {f.path | some f in set}

img_path := ["spec", "containers", 0, "image"]

test_latest_is_error if {
	paths(p.errors(pod("nginx:latest"))) == {img_path}
	paths(p.errors(pod("nginx:LATEST"))) == {img_path}
}

test_default_mutable_tags if {
	every t in ["main", "master", "dev", "stable", "edge", "nightly"] {
		count(p.errors(pod(concat(":", ["ghcr.io/org/app", t])))) == 1
	}
}

test_release_tags_pass if {
	count(p.errors(pod("nginx:1.25.3"))) == 0
	count(p.errors(pod("nginx:latest-ish"))) == 0
}

test_port_is_not_a_tag if {
	# "5000/app" would be the tag to a naive split on ":"; the image has no tag at all here.
	count(p.errors(pod("latest:5000/app"))) == 0
	paths(p.errors(pod("reg:5000/app:latest"))) == {img_path}
}

test_digest_governs if {
	count(p.errors(pod(concat("", ["nginx:latest@sha256:", d64])))) == 0
}

test_bad_digest_does_not_pin if {
	count(p.errors(pod("nginx:latest@sha256:1234"))) == 1
}

test_untagged_is_left_to_img_002 if {
	count(p.errors(pod("nginx"))) == 0
}

test_placeholder_skipped if {
	count(p.errors(pod("ghcr.io/org/app:${TAG}"))) == 0
}

test_init_and_ephemeral_containers if {
	obj := {"kind": "Pod", "spec": {
		"initContainers": [{"name": "i", "image": "busybox:latest"}],
		"ephemeralContainers": [{"name": "e", "image": "debug:main"}],
	}}
	paths(p.errors(obj)) == {["spec", "initContainers", 0, "image"], ["spec", "ephemeralContainers", 0, "image"]}
}

test_params if {
	count(p.errors(pod("app:foo"))) == 1 with data.params as {"IMG-003": {"disallowed_tags": ["foo"]}}
	count(p.errors(pod("app:latest"))) == 0 with data.params as {"IMG-003": {"disallowed_tags": ["foo"]}}
	count(p.errors(pod("app:pr-123"))) == 1 with data.params as {"IMG-003": {"mutable_tag_regex": "^pr-[0-9]+$"}}
	count(p.errors(pod("app:1.0"))) == 0 with data.params as {"IMG-003": {"mutable_tag_regex": "^pr-[0-9]+$"}}
	count(p.errors(pod("nginx:latest"))) == 0 with data.params as {"IMG-003": {"exempt_images": ["nginx"]}}
}

test_wiring if {
	d := p.deny with input.kind as "Pod" with input.spec as {"containers": [{"name": "a", "image": "nginx:latest"}]}
	paths(d) == {img_path}
}
