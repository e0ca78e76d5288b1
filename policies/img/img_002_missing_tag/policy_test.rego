package kubegate.img.missing_tag_test

import rego.v1

import data.kubegate.img.missing_tag as p

d64 := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

deploy(image) := {
	"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
	"spec": {"template": {"spec": {"containers": [{"name": "app", "image": image}]}}},
}

paths(set) := {f.path | some f in set}

img_path := ["spec", "template", "spec", "containers", 0, "image"]

test_no_tag_is_error if {
	paths(p.errors(deploy("nginx"))) == {img_path}
}

test_port_is_not_a_tag if {
	paths(p.errors(deploy("registry.local:5000/app"))) == {img_path}
}

test_tag_or_digest_passes if {
	count(p.errors(deploy("nginx:1.25.3"))) == 0
	count(p.errors(deploy("registry.local:5000/app:1.0"))) == 0
	count(p.errors(deploy(concat("", ["nginx@sha256:", d64])))) == 0
}

test_empty_tag_or_digest_is_no_tag if {
	every image in ["nginx:", "nginx@", "nginx:@", "registry.local:5000/app:"] {
		paths(p.errors(deploy(image))) == {img_path}
	}
	every image in ["nginx:1@", "nginx@x", "nginx:@x", "a/b:c", "host:5000/a/b:c@"] {
		count(p.errors(deploy(image))) == 0
	}
}

test_placeholder_is_warning_not_error if {
	obj := deploy("ghcr.io/org/app${SUFFIX}")
	count(p.errors(obj)) == 0
	paths(p.warnings(obj)) == {img_path}
}

test_all_container_kinds_and_cronjob if {
	obj := {
		"kind": "CronJob",
		"spec": {"jobTemplate": {"spec": {"template": {"spec": {
			"initContainers": [{"name": "i", "image": "busybox"}],
			"containers": [{"name": "c", "image": "app:1"}],
			"ephemeralContainers": [{"name": "e", "image": "debug"}],
		}}}}},
	}
	paths(p.errors(obj)) == {
		["spec", "jobTemplate", "spec", "template", "spec", "initContainers", 0, "image"],
		["spec", "jobTemplate", "spec", "template", "spec", "ephemeralContainers", 0, "image"],
	}
}

test_exempt_images_param if {
	count(p.errors(deploy("nginx"))) == 0 with data.params as {"IMG-002": {"exempt_images": ["docker.io/library/nginx"]}}
	count(p.errors(deploy("nginx"))) == 1 with data.params as {"IMG-002": {"exempt_images": ["docker.io/library/ngin"]}}
}

test_missing_image_field_not_reported_here if {
	count(p.errors({"kind": "Pod", "spec": {"containers": [{"name": "a"}]}})) == 0
}

test_wiring if {
	d := p.deny with input.kind as "Pod" with input.spec as {"containers": [{"name": "a", "image": "nginx"}]}
	paths(d) == {["spec", "containers", 0, "image"]}
	w := p.warn with input.kind as "Pod" with input.spec as {"containers": [{"name": "a", "image": "app${T}"}]}
	paths(w) == {["spec", "containers", 0, "image"]}
}
