package kubegate.sec.secret_generator_literals_test

import rego.v1

import data.kubegate.sec.secret_generator_literals as p

paths(set) := {f.path | some f in set}

kz(gens) := {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "secretGenerator": gens}

test_literals_are_errors if {
	obj := kz([{"name": "a", "files": ["tls.crt"]}, {"name": "b", "literals": ["user=admin", "password=hunter2"]}])
	paths(p.errors(obj)) == {["secretGenerator", 1, "literals", 0], ["secretGenerator", 1, "literals", 1]}
	count(p.warnings(obj)) == 0
}

test_envs_and_legacy_env_are_warnings if {
	obj := kz([{"name": "a", "envs": ["app.env"]}, {"name": "b", "env": "old.env"}])
	count(p.errors(obj)) == 0
	paths(p.warnings(obj)) == {["secretGenerator", 0, "envs", 0], ["secretGenerator", 1, "env"]}
}

test_component_kind if {
	obj := {"apiVersion": "kustomize.config.k8s.io/v1alpha1", "kind": "Component", "secretGenerator": [{"name": "a", "literals": ["k=v"]}]}
	paths(p.errors(obj)) == {["secretGenerator", 0, "literals", 0]}
}

test_flux_kustomization_ignored if {
	obj := {"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization", "secretGenerator": [{"literals": ["k=v"]}]}
	count(p.errors(obj)) == 0
}

test_malformed if {
	count(p.errors(kz("bogus"))) == 0
	count(p.errors(kz(["bogus", {"literals": "k=v"}]))) == 0
	count(p.errors({"kind": "Kustomization", "apiVersion": 5, "secretGenerator": [{"literals": ["k=v"]}]})) == 0
}

test_message_never_quotes_the_literal if {
	some f in p.errors(kz([{"name": "a", "literals": ["password=hunter2"]}]))
	not contains(f.msg, "hunter2")
}

test_wiring if {
	d := p.deny with input.apiVersion as "kustomize.config.k8s.io/v1beta1" with input.kind as "Kustomization" with input.secretGenerator as [{"name": "a", "literals": ["k=v"], "envs": ["a.env"]}]
	paths(d) == {["secretGenerator", 0, "literals", 0]}
	w := p.warn with input.apiVersion as "kustomize.config.k8s.io/v1beta1" with input.kind as "Kustomization" with input.secretGenerator as [{"name": "a", "envs": ["a.env"]}]
	paths(w) == {["secretGenerator", 0, "envs", 0]}
}
