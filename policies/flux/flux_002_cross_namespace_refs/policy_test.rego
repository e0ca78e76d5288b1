package kubegate.flux.cross_namespace_refs_test

import rego.v1

import data.kubegate.flux.cross_namespace_refs as p

flux2_obj(api, kind, ns, spec) := {"apiVersion": api, "kind": kind, "metadata": {"name": "x", "namespace": ns}, "spec": spec}

flux2_ks(ns, spec) := flux2_obj("kustomize.toolkit.fluxcd.io/v1", "Kustomization", ns, spec)

flux2_paths(set) := {f.path | some f in set}

test_kustomization_source_in_other_namespace if {
	flux2_paths(p.errors(flux2_ks("apps", {"sourceRef": {"kind": "GitRepository", "name": "fleet", "namespace": "flux-system"}}))) == {["spec", "sourceRef", "namespace"]}
}

test_absent_or_same_namespace_is_own if {
	count(p.errors(flux2_ks("apps", {"sourceRef": {"kind": "GitRepository", "name": "dev"}}))) == 0
	count(p.errors(flux2_ks("apps", {"sourceRef": {"kind": "GitRepository", "name": "dev", "namespace": "apps"}}))) == 0
	count(p.errors(flux2_ks("apps", {"sourceRef": {"kind": "GitRepository", "name": "dev", "namespace": ""}}))) == 0
}

test_depends_on_each_entry if {
	spec := {"dependsOn": [{"name": "a"}, {"name": "b", "namespace": "other"}, "junk", {"name": "c", "namespace": "apps"}]}
	flux2_paths(p.errors(flux2_ks("apps", spec))) == {["spec", "dependsOn", 1, "namespace"]}
}

test_helm_release_chart_refs if {
	every v in ["v2beta1", "v2beta2", "v2"] {
		obj := flux2_obj(concat("/", ["helm.toolkit.fluxcd.io", v]), "HelmRelease", "apps", {
			"chart": {"spec": {"chart": "c", "sourceRef": {"kind": "HelmRepository", "name": "r", "namespace": "flux-system"}}},
			"chartRef": {"kind": "OCIRepository", "name": "o", "namespace": "other"},
			"dependsOn": [{"name": "db", "namespace": "data"}],
		})
		flux2_paths(p.errors(obj)) == {
			["spec", "chart", "spec", "sourceRef", "namespace"],
			["spec", "chartRef", "namespace"],
			["spec", "dependsOn", 0, "namespace"],
		}
	}
}

test_image_policy_and_automation if {
	pol := flux2_obj("image.toolkit.fluxcd.io/v1beta2", "ImagePolicy", "apps", {"imageRepositoryRef": {"name": "r", "namespace": "flux-system"}})
	flux2_paths(p.errors(pol)) == {["spec", "imageRepositoryRef", "namespace"]}
	auto := flux2_obj("image.toolkit.fluxcd.io/v1beta1", "ImageUpdateAutomation", "apps", {"sourceRef": {"kind": "GitRepository", "name": "r", "namespace": "flux-system"}})
	flux2_paths(p.errors(auto)) == {["spec", "sourceRef", "namespace"]}
}

test_platform_namespace_may_cross if {
	count(p.errors(flux2_ks("flux-system", {"sourceRef": {"name": "x", "namespace": "apps"}}))) == 0
	params := {"FLUX-002": {"platform_namespaces": ["infra"]}}
	count(p.errors(flux2_ks("infra", {"sourceRef": {"name": "x", "namespace": "apps"}}))) == 0 with data.params as params
	count(p.errors(flux2_ks("flux-system", {"sourceRef": {"name": "x", "namespace": "apps"}}))) == 1 with data.params as params
}

test_other_kinds_and_groups_ignored if {
	count(p.errors(flux2_obj("kustomize.config.k8s.io/v1beta1", "Kustomization", "apps", {"sourceRef": {"namespace": "b"}}))) == 0
	count(p.errors(flux2_obj("source.toolkit.fluxcd.io/v1", "HelmChart", "apps", {"sourceRef": {"namespace": "b"}}))) == 0
}

test_unknown_own_namespace_is_warning if {
	obj := {"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization", "metadata": {"name": "x"}, "spec": {"sourceRef": {"name": "s", "namespace": "flux-system"}}}
	count(p.errors(obj)) == 0
	flux2_paths(p.warnings(obj)) == {["spec", "sourceRef", "namespace"]}
}

test_malformed_refs_do_not_crash if {
	count(p.errors(flux2_ks("apps", {"sourceRef": "flux-system", "dependsOn": {"name": "x"}}))) == 0
	count(p.errors(flux2_ks("apps", {"sourceRef": {"namespace": 7}}))) == 0
}

test_wiring if {
	d := p.deny with input.apiVersion as "kustomize.toolkit.fluxcd.io/v1"
		with input.kind as "Kustomization"
		with input.metadata as {"name": "x", "namespace": "apps"}
		with input.spec as {"sourceRef": {"name": "s", "namespace": "flux-system"}}
	flux2_paths(d) == {["spec", "sourceRef", "namespace"]}
	w := p.warn with input.apiVersion as "kustomize.toolkit.fluxcd.io/v1"
		with input.kind as "Kustomization"
		with input.metadata as {"name": "x"}
		with input.spec as {"sourceRef": {"name": "s", "namespace": "flux-system"}}
	flux2_paths(w) == {["spec", "sourceRef", "namespace"]}
}
