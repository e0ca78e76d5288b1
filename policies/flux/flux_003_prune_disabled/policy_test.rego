package kubegate.flux.prune_disabled_test

import rego.v1

import data.kubegate.flux.prune_disabled as p

flux3_ks(api, spec) := {"apiVersion": api, "kind": "Kustomization", "metadata": {"name": "apps", "namespace": "flux-system"}, "spec": spec}

flux3_paths(set) := {f.path | some f in set}

test_prune_false_or_absent if {
	flux3_paths(p.warnings(flux3_ks("kustomize.toolkit.fluxcd.io/v1", {"prune": false}))) == {["spec", "prune"]}
	flux3_paths(p.warnings(flux3_ks("kustomize.toolkit.fluxcd.io/v1", {"path": "./apps"}))) == {["spec"]}
}

test_string_true_is_not_true if {
	flux3_paths(p.warnings(flux3_ks("kustomize.toolkit.fluxcd.io/v1", {"prune": "true"}))) == {["spec", "prune"]}
}

test_prune_true_passes_in_every_version if {
	every v in ["v1beta1", "v1beta2", "v1"] {
		count(p.warnings(flux3_ks(concat("/", ["kustomize.toolkit.fluxcd.io", v]), {"prune": true}))) == 0
		count(p.warnings(flux3_ks(concat("/", ["kustomize.toolkit.fluxcd.io", v]), {"prune": false}))) == 1
	}
}

test_kustomize_config_file_ignored if {
	count(p.warnings(flux3_ks("kustomize.config.k8s.io/v1beta1", {}))) == 0
}

test_no_spec_points_at_document if {
	flux3_paths(p.warnings({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization"})) == {[]}
}

test_wiring if {
	w := p.warn with input.apiVersion as "kustomize.toolkit.fluxcd.io/v1"
		with input.kind as "Kustomization"
		with input.spec as {"prune": false}
	flux3_paths(w) == {["spec", "prune"]}
}
