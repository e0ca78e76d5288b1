package kubegate.img.allowed_registries_test

import rego.v1

import data.kubegate.img.allowed_registries as p

img1_pod(image) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "a", "image": image}]}}

img1_paths(set) := {f.path | some f in set}

img1_path := ["spec", "containers", 0, "image"]

img1_params := {"IMG-001": {"allowed_registries": ["registry.example.com/", "ghcr.io/org/", "docker.io/library/"]}}

test_unconfigured_is_a_warning_not_an_error if {
	img1_paths(p.warnings(img1_pod("evil.io/x:1.0"))) == {img1_path}
	count(p.errors(img1_pod("evil.io/x:1.0"))) == 0
}

test_configured_is_an_error_not_a_warning if {
	params := img1_params
	img1_paths(p.errors(img1_pod("evil.io/x:1.0"))) == {img1_path} with data.params as params
	count(p.warnings(img1_pod("evil.io/x:1.0"))) == 0 with data.params as params
}

test_allowed_prefixes if {
	params := img1_params
	every ref in ["registry.example.com/team/web:1.0", "ghcr.io/org/app:1.0", "ghcr.io/org/sub/app@sha256:abc"] {
		count(p.errors(img1_pod(ref))) == 0 with data.params as params
	}
}

test_host_suffix_trap if {
	# A registry entry is a prefix only up to its `/`: a look-alike host is not the registry.
	params := img1_params
	count(p.errors(img1_pod("registry.example.com.evil.io/team/web:1.0"))) == 1 with data.params as params
	count(p.errors(img1_pod("ghcr.io/org-evil/app:1.0"))) == 1 with data.params as params
	count(p.errors(img1_pod("registry.example.com:5000/team/web:1.0"))) == 1 with data.params as params
}

test_entry_without_slash_is_exact_not_prefix if {
	params := {"IMG-001": {"allowed_registries": ["registry.example.com"]}}
	count(p.errors(img1_pod("registry.example.com.evil.io/web:1.0"))) == 1 with data.params as params
	count(p.errors(img1_pod("registry.example.com/web:1.0"))) == 1 with data.params as params
}

test_exact_repository_entry if {
	params := {"IMG-001": {"allowed_registries": ["ghcr.io/org/app"]}}
	count(p.errors(img1_pod("ghcr.io/org/app:1.0"))) == 0 with data.params as params
	count(p.errors(img1_pod("ghcr.io/org/app2:1.0"))) == 1 with data.params as params
}

test_implicit_docker_hub if {
	params := img1_params
	every ref in ["nginx:1.25", "docker.io/nginx:1.25", "index.docker.io/library/nginx:1.25", "DOCKER.IO/library/nginx:1.25"] {
		count(p.errors(img1_pod(ref))) == 0 with data.params as params
	}

	# A Docker Hub user repository is not docker.io/library/.
	count(p.errors(img1_pod("someone/nginx:1.25"))) == 1 with data.params as params
}

test_docker_hub_entry_spellings if {
	params := {"IMG-001": {"allowed_registries": ["docker.io/"]}}
	count(p.errors(img1_pod("nginx:1.25"))) == 0 with data.params as params
	count(p.errors(img1_pod("someone/nginx:1.25"))) == 0 with data.params as params
	count(p.errors(img1_pod("quay.io/x/y:1"))) == 1 with data.params as params
}

test_uppercase_entry if {
	params := {"IMG-001": {"allowed_registries": ["Registry.Example.com/"]}}
	count(p.errors(img1_pod("registry.example.com/web:1.0"))) == 0 with data.params as params
}

test_empty_allowlist_denies_everything if {
	params := {"IMG-001": {"allowed_registries": []}}
	count(p.errors(img1_pod("registry.example.com/web:1.0"))) == 1 with data.params as params
}

test_exempt_images if {
	params := {"IMG-001": {"allowed_registries": ["registry.example.com/"], "exempt_images": ["quay.io/tools/"]}}
	count(p.errors(img1_pod("quay.io/tools/debug:1.0"))) == 0 with data.params as params
	count(p.errors(img1_pod("quay.io/other/debug:1.0"))) == 1 with data.params as params
}

test_placeholder_and_malformed_skipped if {
	params := img1_params
	count(p.errors(img1_pod("evil.io/${APP}:1.0"))) == 0 with data.params as params
	count(p.errors(img1_pod(42))) == 0 with data.params as params
	count(p.errors(img1_pod(""))) == 0 with data.params as params
}

test_all_container_kinds_and_cronjob if {
	params := img1_params
	obj := {"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": {
		"initContainers": [{"name": "i", "image": "evil.io/i:1"}],
		"containers": [{"name": "c", "image": "registry.example.com/c:1"}],
		"ephemeralContainers": [{"name": "e", "image": "evil.io/e:1"}],
	}}}}}}
	prefix := ["spec", "jobTemplate", "spec", "template", "spec"]
	img1_paths(p.errors(obj)) == {
		array.concat(prefix, ["initContainers", 0, "image"]),
		array.concat(prefix, ["ephemeralContainers", 0, "image"]),
	} with data.params as params
}

test_wiring if {
	d := p.deny with input.kind as "Pod" with input.spec as {"containers": [{"name": "a", "image": "evil.io/x:1"}]}
		with data.params as {"IMG-001": {"allowed_registries": ["registry.example.com/"]}}
	img1_paths(d) == {img1_path}
	w := p.warn with input.kind as "Pod" with input.spec as {"containers": [{"name": "a", "image": "evil.io/x:1"}]}
	img1_paths(w) == {img1_path}
}
