package kubegate.flux.oci_repository_ref_test

import rego.v1

import data.kubegate.flux.oci_repository_ref as p

flux8_oci(spec) := {"apiVersion": "source.toolkit.fluxcd.io/v1beta2", "kind": "OCIRepository", "metadata": {"name": "manifests", "namespace": "flux-system"}, "spec": spec}

flux8_verified := {"provider": "cosign", "matchOIDCIdentity": [{"issuer": "^https://token.actions.githubusercontent.com$", "subject": "^https://github.com/org/.*$"}]}

flux8_paths(set) := {f.path | some f in set}

flux8_spec(ref) := {"url": "oci://ghcr.io/org/manifests", "ref": ref, "verify": flux8_verified}

test_absent_ref_is_error if {
	flux8_paths(p.errors(flux8_oci({"url": "oci://ghcr.io/org/m", "verify": flux8_verified}))) == {["spec"]}
	flux8_paths(p.errors(flux8_oci(flux8_spec({})))) == {["spec", "ref"]}
	flux8_paths(p.errors(flux8_oci(flux8_spec("v1")))) == {["spec", "ref"]}
	flux8_paths(p.errors(flux8_oci(flux8_spec({"tag": ""})))) == {["spec", "ref"]}
}

test_latest_tag_is_error if {
	flux8_paths(p.errors(flux8_oci(flux8_spec({"tag": "latest"})))) == {["spec", "ref", "tag"]}
	flux8_paths(p.errors(flux8_oci(flux8_spec({"tag": "Latest"})))) == {["spec", "ref", "tag"]}
	flux8_paths(p.errors(flux8_oci(flux8_spec({"tag": 7})))) == {["spec", "ref"]}
}

test_digest_and_semver_take_precedence if {
	count(p.errors(flux8_oci(flux8_spec({"tag": "latest", "digest": "sha256:abc"})))) == 0
	count(p.errors(flux8_oci(flux8_spec({"tag": "latest", "semver": "1.2.3"})))) == 0
	count(p.warnings(flux8_oci(flux8_spec({"tag": "latest", "semver": "1.2.3"})))) == 0
}

test_pinned_tag_passes if {
	count(p.errors(flux8_oci(flux8_spec({"tag": "v1.14.4"})))) == 0
	count(p.warnings(flux8_oci(flux8_spec({"tag": "v1.14.4"})))) == 0
}

test_semver_range_warns if {
	flux8_paths(p.warnings(flux8_oci(flux8_spec({"semver": ">=1.0.0"})))) == {["spec", "ref", "semver"]}
	count(p.errors(flux8_oci(flux8_spec({"semver": ">=1.0.0"})))) == 0
	count(p.warnings(flux8_oci(flux8_spec({"semver": ">=1.0.0", "digest": "sha256:abc"})))) == 0
	count(p.warnings(flux8_oci(flux8_spec({"semver": "${V}"})))) == 0
}

test_missing_verification_warns if {
	flux8_paths(p.warnings(flux8_oci({"url": "oci://x/y", "ref": {"tag": "v1"}}))) == {["spec"]}
	flux8_paths(p.warnings(flux8_oci({"url": "oci://x/y", "ref": {"tag": "v1"}, "verify": {"provider": "gpg"}}))) == {["spec", "verify", "provider"]}
	count(p.warnings(flux8_oci({"url": "oci://x/y", "ref": {"tag": "v1"}, "verify": {"provider": "notation", "secretRef": {"name": "trust"}}}))) == 0
}

test_keyless_cosign_needs_identity if {
	keyless := {"url": "oci://x/y", "ref": {"tag": "v1"}, "verify": {"provider": "cosign"}}
	flux8_paths(p.warnings(flux8_oci(keyless))) == {["spec", "verify"]}
	empty := {"url": "oci://x/y", "ref": {"tag": "v1"}, "verify": {"provider": "cosign", "matchOIDCIdentity": []}}
	flux8_paths(p.warnings(flux8_oci(empty))) == {["spec", "verify", "matchOIDCIdentity"]}
	keyed := {"url": "oci://x/y", "ref": {"tag": "v1"}, "verify": {"provider": "cosign", "secretRef": {"name": "cosign-pub"}}}
	count(p.warnings(flux8_oci(keyed))) == 0
}

test_require_verify_makes_errors if {
	params := {"FLUX-008": {"require_verify": true}}
	obj := flux8_oci({"url": "oci://x/y", "ref": {"tag": "v1"}, "verify": {"provider": "cosign"}})
	flux8_paths(p.errors(obj)) == {["spec", "verify"]} with data.params as params
	count(p.warnings(obj)) == 0 with data.params as params
	count(p.errors(obj)) == 0
}

test_every_source_api_version_and_other_kinds if {
	every v in ["v1beta2", "v1"] {
		obj := {"apiVersion": concat("/", ["source.toolkit.fluxcd.io", v]), "kind": "OCIRepository", "spec": {"url": "oci://x/y"}}
		count(p.errors(obj)) == 1
	}
	count(p.errors({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository", "spec": {}})) == 0
	count(p.warnings({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "HelmRepository", "spec": {}})) == 0
}

test_wiring if {
	d := p.deny with input.apiVersion as "source.toolkit.fluxcd.io/v1"
		with input.kind as "OCIRepository"
		with input.spec as {"url": "oci://x/y", "ref": {"tag": "latest"}}
	flux8_paths(d) == {["spec", "ref", "tag"]}
	w := p.warn with input.apiVersion as "source.toolkit.fluxcd.io/v1"
		with input.kind as "OCIRepository"
		with input.spec as {"url": "oci://x/y", "ref": {"tag": "latest"}}
	flux8_paths(w) == {["spec"]}
}
