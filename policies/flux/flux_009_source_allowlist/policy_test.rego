package kubegate.flux.source_allowlist_test

import rego.v1

import data.kubegate.flux.source_allowlist as p

flux9_src(api, kind, spec) := {"apiVersion": api, "kind": kind, "metadata": {"name": "s", "namespace": "apps"}, "spec": spec}

flux9_git(url) := flux9_src("source.toolkit.fluxcd.io/v1", "GitRepository", {"url": url})

flux9_paths(set) := {f.path | some f in set}

flux9_params := {"FLUX-009": {"allowed_sources": ["github.com/example/", "oci://ghcr.io/example", "https://charts.example.com/"]}}

test_unconfigured_allowlist_warns_every_source if {
	flux9_paths(p.warnings(flux9_git("https://github.com/example/fleet"))) == {["spec", "url"]}
	count(p.errors(flux9_git("https://github.com/example/fleet"))) == 0
}

test_allowlisted_sources_pass if {
	params := flux9_params
	count(p.errors(flux9_git("https://github.com/example/fleet"))) == 0 with data.params as params
	count(p.errors(flux9_git("ssh://git@github.com/example/fleet"))) == 0 with data.params as params
	count(p.warnings(flux9_git("ssh://git@github.com/example/fleet"))) == 0 with data.params as params
	oci := flux9_src("source.toolkit.fluxcd.io/v1beta2", "OCIRepository", {"url": "oci://ghcr.io/example/manifests"})
	count(p.errors(oci)) == 0 with data.params as params
}

test_unlisted_sources_are_errors_once_configured if {
	params := flux9_params
	flux9_paths(p.errors(flux9_git("https://github.com/example-evil/fleet"))) == {["spec", "url"]} with data.params as params
	flux9_paths(p.errors(flux9_git("https://gitlab.com/example/fleet"))) == {["spec", "url"]} with data.params as params
	oci := flux9_src("source.toolkit.fluxcd.io/v1", "OCIRepository", {"url": "oci://ghcr.io/example.evil.io/x"})
	count(p.errors(oci)) == 1 with data.params as params
	count(p.errors(flux9_git("https://github.com/example/fleet"))) == 1 with data.params as {"FLUX-009": {"allowed_sources": []}}
}

test_every_address_field if {
	params := flux9_params
	bucket := flux9_src("source.toolkit.fluxcd.io/v1beta2", "Bucket", {"endpoint": "s3.amazonaws.com", "bucketName": "b"})
	flux9_paths(p.errors(bucket)) == {["spec", "endpoint"]} with data.params as params
	image := flux9_src("image.toolkit.fluxcd.io/v1beta2", "ImageRepository", {"image": "docker.io/library/nginx"})
	flux9_paths(p.errors(image)) == {["spec", "image"]} with data.params as params
	helm := flux9_src("source.toolkit.fluxcd.io/v1", "HelmRepository", {"url": "https://charts.example.com/stable"})
	count(p.errors(helm)) == 0 with data.params as params
}

test_other_groups_and_placeholders_ignored if {
	params := flux9_params
	count(p.errors(flux9_src("example.com/v1", "GitRepository", {"url": "http://x/y"}))) == 0 with data.params as params
	count(p.errors(flux9_git("${FLEET_URL}"))) == 0 with data.params as params
	count(p.errors(flux9_git(7))) == 0 with data.params as params
}

test_insecure_is_error if {
	oci := flux9_src("source.toolkit.fluxcd.io/v1beta2", "OCIRepository", {"url": "oci://ghcr.io/example/x", "insecure": true})
	flux9_paths(p.errors(oci)) == {["spec", "insecure"]}
	secure := flux9_src("source.toolkit.fluxcd.io/v1beta2", "OCIRepository", {"url": "oci://ghcr.io/example/x", "insecure": false})
	count(p.errors(secure)) == 0
	img := flux9_src("image.toolkit.fluxcd.io/v1", "ImageRepository", {"image": "r/x", "insecure": true})
	count(p.errors(img)) == 1
}

test_pass_credentials_warns if {
	helm := flux9_src("source.toolkit.fluxcd.io/v1", "HelmRepository", {"url": "https://charts.example.com/", "passCredentials": true})
	params := flux9_params
	flux9_paths(p.warnings(helm)) == {["spec", "passCredentials"]} with data.params as params
	count(p.errors(helm)) == 0 with data.params as params
}

test_wiring if {
	params := flux9_params
	d := p.deny with input.apiVersion as "source.toolkit.fluxcd.io/v1"
		with input.kind as "GitRepository"
		with input.spec as {"url": "https://evil.example.org/x"}
		with data.params as params
	flux9_paths(d) == {["spec", "url"]}
	w := p.warn with input.apiVersion as "source.toolkit.fluxcd.io/v1"
		with input.kind as "GitRepository"
		with input.spec as {"url": "https://evil.example.org/x"}
	flux9_paths(w) == {["spec", "url"]}
}
