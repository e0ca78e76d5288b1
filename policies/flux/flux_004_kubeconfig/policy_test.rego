package kubegate.flux.kubeconfig_test

import rego.v1

import data.kubegate.flux.kubeconfig as p

flux4_obj(api, kind, kc) := {"apiVersion": api, "kind": kind, "metadata": {"name": "remote", "namespace": "flux-system"}, "spec": {"kubeConfig": kc}}

flux4_ks(kc) := flux4_obj("kustomize.toolkit.fluxcd.io/v1", "Kustomization", kc)

flux4_paths(set) := {f.path | some f in set}

test_kubeconfig_is_error_on_both_kinds if {
	flux4_paths(p.errors(flux4_ks({"secretRef": {"name": "prod-kubeconfig"}}))) == {["spec", "kubeConfig"]}
	every v in ["v2beta1", "v2beta2", "v2"] {
		count(p.errors(flux4_obj(concat("/", ["helm.toolkit.fluxcd.io", v]), "HelmRelease", {"secretRef": {"name": "k"}}))) == 1
	}
}

test_config_map_ref_and_malformed if {
	count(p.errors(flux4_ks({"configMapRef": {"name": "workload-identity"}}))) == 1
	count(p.errors(flux4_ks("junk"))) == 1
	count(p.errors(flux4_ks({}))) == 1
}

test_without_kubeconfig_passes if {
	obj := {"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization", "metadata": {"name": "a"}, "spec": {"prune": true}}
	count(p.errors(obj)) == 0
	count(p.errors(flux4_obj("source.toolkit.fluxcd.io/v1", "GitRepository", {"secretRef": {"name": "k"}}))) == 0
}

test_allowlisted_refs if {
	params := {"FLUX-004": {"allowed_kubeconfig_refs": ["flux-system/*-kubeconfig"]}}
	count(p.errors(flux4_ks({"secretRef": {"name": "prod-kubeconfig"}}))) == 0 with data.params as params
	count(p.errors(flux4_ks({"secretRef": {"name": "admin"}}))) == 1 with data.params as params
	count(p.errors(flux4_ks({"secretRef": {"name": "prod-kubeconfig"}, "configMapRef": {"name": "admin"}}))) == 1 with data.params as params
	count(p.errors(flux4_ks({}))) == 1 with data.params as params
}

test_allowlist_is_per_namespace if {
	params := {"FLUX-004": {"allowed_kubeconfig_refs": ["flux-system/prod-kubeconfig"]}}
	obj := {"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization", "metadata": {"name": "a", "namespace": "apps"}, "spec": {"kubeConfig": {"secretRef": {"name": "prod-kubeconfig"}}}}
	count(p.errors(obj)) == 1 with data.params as params
}

test_wiring if {
	d := p.deny with input.apiVersion as "kustomize.toolkit.fluxcd.io/v1"
		with input.kind as "Kustomization"
		with input.spec as {"kubeConfig": {"secretRef": {"name": "k"}}}
	flux4_paths(d) == {["spec", "kubeConfig"]}
}
