package kubegate.img.digest_pinning_test

import rego.v1

import data.kubegate.img.digest_pinning as p

img4_d64 := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

img4_deploy(ns, image) := {
	"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": ns},
	"spec": {"template": {"spec": {"containers": [{"name": "a", "image": image}]}}},
}

img4_paths(set) := {f.path | some f in set}

img4_path := ["spec", "template", "spec", "containers", 0, "image"]

img4_sources := [
	{"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "", "name": "web", "file": "clusters/production/web.yaml", "line": 1},
	{"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "other", "name": "web", "file": "clusters/staging/web.yaml", "line": 1},
]

test_unpinned_is_a_warning_by_default if {
	img4_paths(p.warnings(img4_deploy("a", "nginx:1.25"))) == {img4_path}
	count(p.errors(img4_deploy("a", "nginx:1.25"))) == 0
}

test_valid_digest_passes if {
	count(p.warnings(img4_deploy("a", concat("", ["nginx:1.25@sha256:", img4_d64])))) == 0
	count(p.warnings(img4_deploy("a", concat("", ["nginx@sha256:", img4_d64])))) == 0
	count(p.warnings(img4_deploy("a", concat("", ["nginx@sha512:", img4_d64, img4_d64])))) == 0
}

test_malformed_digest_does_not_pin if {
	every ref in [
		"nginx:1.25@sha256:1234",
		concat("", ["nginx@sha256:", upper(img4_d64)]),
		concat("", ["nginx@md5:", img4_d64]),
		concat("", ["nginx@sha512:", img4_d64]),
	] {
		count(p.warnings(img4_deploy("a", ref))) == 1
	}
}

test_required_namespace_is_an_error if {
	params := {"IMG-004": {"digest_required_namespaces": ["prod"]}}
	img4_paths(p.errors(img4_deploy("prod", "nginx:1.25"))) == {img4_path} with data.params as params
	count(p.warnings(img4_deploy("prod", "nginx:1.25"))) == 0 with data.params as params
	count(p.errors(img4_deploy("dev", "nginx:1.25"))) == 0 with data.params as params
	count(p.errors(img4_deploy("", "nginx:1.25"))) == 0 with data.params as {"IMG-004": {"digest_required_namespaces": [""]}}
}

test_required_path_from_sources if {
	sources := img4_sources
	glob_params := {"IMG-004": {"digest_required_paths": ["clusters/production/**"]}}
	prefix_params := {"IMG-004": {"digest_required_paths": ["./clusters/production/"]}}

	# The production file has no namespace (kustomize sets it): it still identifies the resource.
	count(p.errors(img4_deploy("shop", "nginx:1.25"))) == 1 with data.params as glob_params with data.kubegate.sources as sources
	count(p.errors(img4_deploy("shop", "nginx:1.25"))) == 1 with data.params as prefix_params with data.kubegate.sources as sources

	# The staging copy sets namespace "other": a resource in "other" is that one... and the
	# production copy (no namespace) could be it too, so it is required.
	count(p.errors(img4_deploy("other", "nginx:1.25"))) == 1 with data.params as glob_params with data.kubegate.sources as sources
}

test_path_not_required if {
	sources := [{"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "a", "name": "web", "file": "clusters/staging/web.yaml", "line": 1}]
	params := {"IMG-004": {"digest_required_paths": ["clusters/production/**", "clusters/prod"]}}
	count(p.errors(img4_deploy("a", "nginx:1.25"))) == 0 with data.params as params with data.kubegate.sources as sources
	count(p.warnings(img4_deploy("a", "nginx:1.25"))) == 1 with data.params as params with data.kubegate.sources as sources
}

test_sources_of_other_identities_ignored if {
	sources := [
		{"kind": "StatefulSet", "namespace": "a", "name": "web", "file": "prod/web.yaml"},
		{"kind": "Deployment", "namespace": "b", "name": "web", "file": "prod/web.yaml"},
		{"kind": "Deployment", "namespace": "a", "name": "api", "file": "prod/api.yaml"},
		"not an object",
	]
	params := {"IMG-004": {"digest_required_paths": ["prod/"]}}
	count(p.errors(img4_deploy("a", "nginx:1.25"))) == 0 with data.params as params with data.kubegate.sources as sources
}

test_placeholder_and_exempt if {
	count(p.warnings(img4_deploy("a", "app:${TAG}"))) == 0
	count(p.warnings(img4_deploy("a", "nginx:1.25"))) == 0 with data.params as {"IMG-004": {"exempt_images": ["docker.io/library/nginx"]}}
}

test_wiring if {
	w := p.warn with input.kind as "Pod" with input.spec as {"containers": [{"name": "a", "image": "nginx:1.25"}]}
	img4_paths(w) == {["spec", "containers", 0, "image"]}
	d := p.deny with input.kind as "Pod" with input.metadata as {"name": "x", "namespace": "prod"}
		with input.spec as {"containers": [{"name": "a", "image": "nginx:1.25"}]}
		with data.params as {"IMG-004": {"digest_required_namespaces": ["prod"]}}
	img4_paths(d) == {["spec", "containers", 0, "image"]}
}
