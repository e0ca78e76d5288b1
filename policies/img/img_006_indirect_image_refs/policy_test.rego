package kubegate.img.indirect_image_refs_test

import rego.v1

import data.kubegate.img.indirect_image_refs as p

img6_d64 := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

img6_kz(images) := {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "images": images}

img6_flux(images) := {"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization", "metadata": {"name": "apps"}, "spec": {"images": images}}

img6_hr(values) := {"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease", "metadata": {"name": "web"}, "spec": {"values": values}}

img6_paths(set) := {f.path | some f in set}

test_kustomize_mutable_tag if {
	img6_paths(p.warnings(img6_kz([{"name": "web", "newTag": "latest"}]))) == {["images", 0, "newTag"]}
	img6_paths(p.warnings(img6_flux([{"name": "web", "newName": "ghcr.io/org/web", "newTag": "main"}]))) == {["spec", "images", 0, "newTag"]}
	count(p.warnings(img6_kz([{"name": "web", "newTag": "1.4.2"}]))) == 0
	count(p.warnings(img6_kz([{"name": "web", "newTag": "latest", "digest": concat("", ["sha256:", img6_d64])}]))) == 0
}

test_kustomize_digest if {
	img6_paths(p.warnings(img6_kz([{"name": "web", "digest": "sha256:1234"}]))) == {["images", 0, "digest"]}
	count(p.warnings(img6_kz([{"name": "web", "digest": concat("", ["sha256:", img6_d64])}]))) == 0
}

test_kustomize_numeric_tag if {
	img6_paths(p.warnings(img6_kz([{"name": "web", "newTag": 1.1}]))) == {["images", 0, "newTag"]}
}

test_kustomize_registry_only_once_configured if {
	kz := img6_kz([{"name": "web", "newName": "registry.example.com.evil.io/web", "newTag": "1.0"}, {"name": "api", "newName": "registry.example.com/api"}, {"name": "x", "newTag": "1.0"}])
	count(p.warnings(kz)) == 0
	img6_paths(p.warnings(kz)) == {["images", 0, "newName"]} with data.params as {"IMG-001": {"allowed_registries": ["registry.example.com/"]}}
}

test_values_mapping if {
	values := {
		"image": {"repository": "ghcr.io/org/web", "tag": "latest"},
		"sidecar": {"image": {"registry": "docker.io", "repository": "bitnami/nginx", "tag": "1.25"}},
		"worker": {"workerImage": {"repository": "ghcr.io/org/worker", "tag": 1.10}},
		"chartDefault": {"image": {"repository": "ghcr.io/org/job"}},
	}
	img6_paths(p.warnings(img6_hr(values))) == {["spec", "values", "image", "tag"], ["spec", "values", "worker", "workerImage", "tag"]}
}

test_values_tag_with_digest if {
	# app-template style: the digest rides in the tag.
	good := {"image": {"repository": "ghcr.io/org/web", "tag": concat("", ["latest@sha256:", img6_d64])}}
	bad := {"image": {"repository": "ghcr.io/org/web", "tag": "1.0@sha256:beef"}}
	count(p.warnings(img6_hr(good))) == 0
	img6_paths(p.warnings(img6_hr(bad))) == {["spec", "values", "image", "tag"]}
}

test_values_string_refs if {
	values := {"image": "nginx", "initImage": "registry.example.com:5000/tools", "jobs": [{"image": "busybox:1.36"}], "imagePullPolicy": "Always"}
	img6_paths(p.warnings(img6_hr(values))) == {["spec", "values", "image"], ["spec", "values", "initImage"]}
	count(p.warnings(img6_hr({"image": "ghcr.io/org/web:${TAG}"}))) == 0
}

test_values_registry_needs_a_known_host if {
	params := {"IMG-001": {"allowed_registries": ["registry.example.com/"]}}
	values := {
		"a": {"image": {"repository": "org/web", "tag": "1.0"}},
		"b": {"image": {"repository": "quay.io/org/web", "tag": "1.0"}},
		"c": {"image": {"registry": "quay.io", "repository": "org/web", "tag": "1.0"}},
		"d": {"image": {"registry": "registry.example.com", "repository": "org/web", "tag": "1.0"}},
	}
	img6_paths(p.warnings(img6_hr(values))) == {["spec", "values", "b", "image", "repository"], ["spec", "values", "c", "image", "repository"]} with data.params as params
}

test_values_key_patterns if {
	params := {"IMG-006": {"values_key_patterns": ["^container$"]}}
	values := {"image": "nginx", "container": "nginx:latest"}
	img6_paths(p.warnings(img6_hr(values))) == {["spec", "values", "container"]} with data.params as params

	# An invalid pattern (the config schema rejects it) matches nothing rather than failing the query.
	bad := {"IMG-006": {"values_key_patterns": ["(", "^container$"]}}
	img6_paths(p.warnings(img6_hr(values))) == {["spec", "values", "container"]} with data.params as bad
}

test_plain_word_patterns_and_regexes_agree if {
	# One plain `word$` pattern takes the suffix test, anything else the regex; same answers.
	values := {"image": "nginx", "sidecarImage": "busybox", "imageTag": "x", "IMAGE": "redis", "notes": "image"}
	want := {["spec", "values", "image"], ["spec", "values", "sidecarImage"], ["spec", "values", "IMAGE"]}
	word := {"IMG-006": {"values_key_patterns": ["image$"]}}
	regex := {"IMG-006": {"values_key_patterns": ["imag[e]$"]}}
	two := {"IMG-006": {"values_key_patterns": ["image$", "^nothing$"]}}
	img6_paths(p.warnings(img6_hr(values))) == want
	img6_paths(p.warnings(img6_hr(values))) == want with data.params as word
	img6_paths(p.warnings(img6_hr(values))) == want with data.params as regex
	img6_paths(p.warnings(img6_hr(values))) == want with data.params as two
}

test_other_kinds_ignored if {
	count(p.warnings({"kind": "ConfigMap", "data": {"image": "nginx"}})) == 0
	count(p.warnings({"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "images": "junk"})) == 0
}

test_wiring if {
	w := p.warn with input.apiVersion as "kustomize.config.k8s.io/v1beta1" with input.kind as "Kustomization"
		with input.images as [{"name": "web", "newTag": "latest"}]
	img6_paths(w) == {["images", 0, "newTag"]}
}
