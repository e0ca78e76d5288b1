package kubegate.flux.service_account_impersonation_test

import rego.v1

import data.kubegate.flux.service_account_impersonation as p

flux1_ks(ns, spec) := {"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization", "metadata": {"name": "apps", "namespace": ns}, "spec": spec}

flux1_hr(api, spec) := {"apiVersion": api, "kind": "HelmRelease", "metadata": {"name": "web", "namespace": "team-a"}, "spec": spec}

flux1_paths(set) := {f.path | some f in set}

test_tenant_without_service_account_is_error if {
	flux1_paths(p.errors(flux1_ks("team-a", {"prune": true}))) == {["spec"]}
	count(p.warnings(flux1_ks("team-a", {"prune": true}))) == 0
}

test_empty_service_account_is_unset if {
	count(p.errors(flux1_ks("team-a", {"serviceAccountName": ""}))) == 1
}

test_impersonating_tenant_passes if {
	count(p.errors(flux1_ks("team-a", {"serviceAccountName": "team-a"}))) == 0
}

test_platform_namespace_is_exempt if {
	count(p.errors(flux1_ks("flux-system", {}))) == 0
	count(p.warnings(flux1_ks("flux-system", {}))) == 0
	params := {"FLUX-001": {"platform_namespaces": ["infra"]}}
	count(p.errors(flux1_ks("infra", {}))) == 0 with data.params as params
	count(p.errors(flux1_ks("flux-system", {}))) == 1 with data.params as params
}

test_every_helm_api_version if {
	every v in ["v2beta1", "v2beta2", "v2"] {
		count(p.errors(flux1_hr(concat("/", ["helm.toolkit.fluxcd.io", v]), {}))) == 1
	}
}

test_kustomize_config_kustomization_is_not_flux if {
	obj := {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "metadata": {"namespace": "team-a"}}
	count(p.errors(obj)) == 0
	count(p.warnings(obj)) == 0
}

test_missing_namespace_is_warning if {
	obj := {"apiVersion": "kustomize.toolkit.fluxcd.io/v1beta2", "kind": "Kustomization", "metadata": {"name": "x"}, "spec": {}}
	count(p.errors(obj)) == 0
	flux1_paths(p.warnings(obj)) == {["spec"]}
}

test_missing_spec_points_at_document if {
	obj := {"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease", "metadata": {"name": "x", "namespace": "a"}}
	flux1_paths(p.errors(obj)) == {[]}
}

test_wiring if {
	d := p.deny with input.apiVersion as "kustomize.toolkit.fluxcd.io/v1"
		with input.kind as "Kustomization"
		with input.metadata as {"name": "apps", "namespace": "team-a"}
		with input.spec as {"prune": true}
	flux1_paths(d) == {["spec"]}
	w := p.warn with input.apiVersion as "kustomize.toolkit.fluxcd.io/v1"
		with input.kind as "Kustomization"
		with input.metadata as {"name": "apps"}
		with input.spec as {"prune": true}
	flux1_paths(w) == {["spec"]}
}
