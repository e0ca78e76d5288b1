package lib.flux_ext_test

import rego.v1

import data.lib.flux_ext as fx

test_every_api_version_by_group if {
	every v in ["v1", "v1beta1", "v1beta2", "v2beta1", "v2beta2", "v2"] {
		fx.is_kind({"apiVersion": concat("/", [fx.helm_group, v]), "kind": "HelmRelease"}, fx.helm_group, "HelmRelease")
	}
	not fx.is_kind({"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization"}, fx.kustomize_group, "Kustomization")
	not fx.is_kind({"apiVersion": "v1", "kind": "Kustomization"}, fx.kustomize_group, "Kustomization")
	not fx.is_kind({"apiVersion": 3, "kind": "Kustomization"}, fx.kustomize_group, "Kustomization")
	fx.api_group({"apiVersion": "a/b/c"}) == ""
}

test_exact_semver if {
	every v in ["1.2.3", "v1.2.3", "1.2.3-rc.1", "1.2.3+build.5", "=1.2.3", "0.0.0"] {
		fx.exact_semver(v)
	}
	every v in ["*", "1.2", "1.2.x", "1.2.*", ">=1.2.3", "<2.0.0", "~1.2.3", "^1.2.3", ">=1.0.0, <2.0.0", "1.2.3 || 1.2.4", "1.2.3 ", "", "01.2.3", "x"] {
		not fx.exact_semver(v)
	}
	not fx.exact_semver(1)
}

test_platform_namespace_param if {
	fx.platform_namespace("FLUX-001", "flux-system")
	not fx.platform_namespace("FLUX-001", "apps")
	params := {"FLUX-001": {"platform_namespaces": ["infra"]}}
	fx.platform_namespace("FLUX-001", "infra") with data.params as params
	not fx.platform_namespace("FLUX-001", "flux-system") with data.params as params
}

test_ns_name_matches if {
	fx.ns_name_matches(["apps/*"], "apps", "dev-team")
	fx.ns_name_matches(["*/infra"], "x", "infra")
	not fx.ns_name_matches(["apps/*"], "apps-evil", "dev-team")
	not fx.ns_name_matches("apps/*", "apps", "dev-team")
}

test_source_allowed_needs_a_boundary if {
	fx.source_allowed("https://github.com/org/repo", ["https://github.com/org"])
	fx.source_allowed("https://github.com/org/repo", ["https://github.com/org/"])
	fx.source_allowed("https://github.com/org", ["https://github.com/org"])
	not fx.source_allowed("https://github.com/org-evil/repo", ["https://github.com/org"])
	not fx.source_allowed("oci://registry.example.com.evil.io/x", ["oci://registry.example.com"])
	fx.source_allowed("oci://registry.example.com/x", ["oci://registry.example.com"])
}

test_source_allowed_scheme_less_entries if {
	fx.source_allowed("ssh://git@github.com/org/repo", ["github.com/org/"])
	fx.source_allowed("https://GitHub.com/Org/repo", ["github.com/org/"])
	fx.source_allowed("ghcr.io/org/app", ["ghcr.io/org/"])
	not fx.source_allowed("https://evil.io/github.com/org/x", ["github.com/org/"])
	not fx.source_allowed("https://github.com/org/x", [1, ""])
}

test_strip_user_only_before_path if {
	fx.url_forms("https://host/a@b") == {"https://host/a@b", "host/a@b"}
	fx.url_forms("ssh://git@host/a") == {"ssh://git@host/a", "host/a"}
}

test_present_path if {
	fx.present_path({"spec": {"a": 1}}, ["spec", "ref", "tag"]) == ["spec"]
	fx.present_path({"spec": {"ref": {"tag": "x"}}}, ["spec", "ref", "tag"]) == ["spec", "ref", "tag"]
	fx.present_path({}, ["spec"]) == []
}

test_placeholder_and_nonempty if {
	fx.placeholder("${VERSION}")
	not fx.placeholder("1.2.3")
	fx.nonempty_string("a")
	not fx.nonempty_string("")
	not fx.nonempty_string(null)
}
