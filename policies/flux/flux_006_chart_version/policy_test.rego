package kubegate.flux.chart_version_test

import rego.v1

import data.kubegate.flux.chart_version as p

flux6_hr(ns, chart_spec) := {"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease", "metadata": {"name": "web", "namespace": ns}, "spec": {"chart": {"spec": chart_spec}}}

flux6_version_path := ["spec", "chart", "spec", "version"]

flux6_paths(set) := {f.path | some f in set}

flux6_chart(version) := {"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "HelmChart", "metadata": {"name": "c", "namespace": "apps"}, "spec": {"chart": "podinfo", "version": version}}

flux6_ref_hr(ref) := {"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease", "metadata": {"name": "web", "namespace": "apps"}, "spec": {"chartRef": ref}}

flux6_oci(ns, ref) := {"apiVersion": "source.toolkit.fluxcd.io/v1beta2", "kind": "OCIRepository", "metadata": {"name": "podinfo", "namespace": ns}, "spec": {"url": "oci://ghcr.io/stefanprodan/charts/podinfo", "ref": ref}}

test_exact_version_passes if {
	count(p.errors(flux6_hr("apps", {"chart": "podinfo", "version": "6.5.4"}))) == 0
	count(p.errors(flux6_hr("apps", {"chart": "podinfo", "version": "v6.5.4-rc.1"}))) == 0
}

test_absent_version_is_error if {
	flux6_paths(p.errors(flux6_hr("apps", {"chart": "podinfo"}))) == {["spec", "chart", "spec"]}
	obj := {"apiVersion": "helm.toolkit.fluxcd.io/v2beta1", "kind": "HelmRelease", "metadata": {"name": "x"}, "spec": {"chart": {}}}
	flux6_paths(p.errors(obj)) == {["spec", "chart"]}
}

test_ranges_are_errors if {
	every v in ["*", "6.5.*", "6.x", "6.5", ">=6.0.0", "<7", "~6.5.0", "^6.5.0", ">=6.0.0, <7.0.0", "6.5.4 || 6.5.5", "6.5.4 ", ""] {
		flux6_paths(p.errors(flux6_hr("apps", {"chart": "podinfo", "version": v}))) == {flux6_version_path}
	}
}

test_non_string_version if {
	flux6_paths(p.errors(flux6_hr("apps", {"chart": "podinfo", "version": 6.5}))) == {flux6_version_path}
}

test_placeholder_left_to_render if {
	count(p.errors(flux6_hr("apps", {"chart": "podinfo", "version": "${PODINFO_VERSION}"}))) == 0
}

test_helm_chart_kind if {
	flux6_paths(p.errors(flux6_chart("1.x"))) == {["spec", "version"]}
	count(p.errors(flux6_chart("1.2.3"))) == 0
	obj := {"apiVersion": "source.toolkit.fluxcd.io/v1beta2", "kind": "HelmChart", "metadata": {"name": "c"}, "spec": {"chart": "podinfo"}}
	flux6_paths(p.errors(obj)) == {["spec"]}
}

test_every_helm_api_version if {
	every v in ["v2beta1", "v2beta2", "v2"] {
		obj := {"apiVersion": concat("/", ["helm.toolkit.fluxcd.io", v]), "kind": "HelmRelease", "spec": {"chart": {"spec": {"version": "*"}}}}
		count(p.errors(obj)) == 1
	}
}

test_allow_ranges_namespaces if {
	params := {"FLUX-006": {"allow_ranges_namespaces": ["preview"]}}
	count(p.errors(flux6_hr("preview", {"chart": "podinfo", "version": "*"}))) == 0 with data.params as params
	count(p.errors(flux6_hr("apps", {"chart": "podinfo", "version": "*"}))) == 1 with data.params as params
}

test_chart_ref_resolves_oci_repository if {
	ref := {"kind": "OCIRepository", "name": "podinfo"}
	semver_range := [flux6_oci("apps", {"semver": ">=6.0.0"})]
	flux6_paths(p.errors(flux6_ref_hr(ref))) == {["spec", "chartRef"]} with data.kubegate.resources as semver_range
	no_ref := [{"kind": "OCIRepository", "apiVersion": "source.toolkit.fluxcd.io/v1", "metadata": {"name": "podinfo", "namespace": "apps"}, "spec": {}}]
	count(p.errors(flux6_ref_hr(ref))) == 1 with data.kubegate.resources as no_ref
	latest := [flux6_oci("apps", {"tag": "latest"})]
	count(p.errors(flux6_ref_hr(ref))) == 1 with data.kubegate.resources as latest
	junk_ref := [flux6_oci("apps", "latest")]
	count(p.errors(flux6_ref_hr(ref))) == 1 with data.kubegate.resources as junk_ref
}

test_chart_ref_pinned_sources_pass if {
	ref := {"kind": "OCIRepository", "name": "podinfo"}
	every r in [{"tag": "6.5.4"}, {"semver": "6.5.4"}, {"semver": ">=6.0.0", "digest": "sha256:abc"}, {"tag": "latest", "digest": "sha256:abc"}] {
		res := [flux6_oci("apps", r)]
		count(p.errors(flux6_ref_hr(ref))) == 0 with data.kubegate.resources as res
	}
}

test_chart_ref_namespace_and_absent_source if {
	ref := {"kind": "OCIRepository", "name": "podinfo"}
	other_ns := [flux6_oci("other", {"semver": "*"})]
	count(p.errors(flux6_ref_hr(ref))) == 0 with data.kubegate.resources as other_ns
	cross := {"kind": "OCIRepository", "name": "podinfo", "namespace": "other"}
	count(p.errors(flux6_ref_hr(cross))) == 1 with data.kubegate.resources as other_ns
	count(p.errors(flux6_ref_hr(ref))) == 0
}

test_chart_ref_overlays_all_must_float if {
	ref := {"kind": "OCIRepository", "name": "podinfo"}
	mixed := [flux6_oci("", {"semver": "*"}), flux6_oci("apps", {"tag": "6.5.4"})]
	count(p.errors(flux6_ref_hr(ref))) == 0 with data.kubegate.resources as mixed
}

test_chart_ref_helm_chart if {
	ref := {"kind": "HelmChart", "name": "c"}
	ranged := [flux6_chart("^1.0.0")]
	count(p.errors(flux6_ref_hr(ref))) == 1 with data.kubegate.resources as ranged
	exact := [flux6_chart("1.0.0")]
	count(p.errors(flux6_ref_hr(ref))) == 0 with data.kubegate.resources as exact
}

test_wiring if {
	d := p.deny with input.apiVersion as "helm.toolkit.fluxcd.io/v2"
		with input.kind as "HelmRelease"
		with input.metadata as {"name": "web", "namespace": "apps"}
		with input.spec as {"chart": {"spec": {"chart": "podinfo", "version": "6.5.*"}}}
	flux6_paths(d) == {flux6_version_path}
}

test_git_and_bucket_charts_have_no_version_to_pin if {
	every kind in ["GitRepository", "Bucket"] {
		count(p.errors(flux6_hr("apps", {"chart": "./charts/app", "sourceRef": {"kind": kind, "name": "flux-system"}}))) == 0
		chart := json.patch(flux6_chart("*"), [{"op": "add", "path": "/spec/sourceRef", "value": {"kind": kind, "name": "x"}}])
		count(p.errors(chart)) == 0
	}
	flux6_paths(p.errors(flux6_hr("apps", {"chart": "app", "sourceRef": {"kind": "HelmRepository", "name": "r"}}))) == {["spec", "chart", "spec"]}
}
