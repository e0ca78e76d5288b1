package kubegate.flux.remote_bases_test

import rego.v1

import data.kubegate.flux.remote_bases as p

flux10_kust(body) := object.union({"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization"}, body)

flux10_paths(set) := {f.path | some f in set}

test_remote_resources_are_errors if {
	every e in [
		"https://github.com/org/repo//deploy?ref=v1.0.0",
		"github.com/org/repo/deploy?ref=main",
		"github.com/org/repo/deploy",
		"git::https://gitlab.com/org/repo.git//base",
		"git@github.com:org/repo.git/base",
		"ssh://git@example.com/org/repo.git",
		"https://raw.githubusercontent.com/org/repo/main/deploy.yaml",
		"HTTPS://example.com/x.yaml",
		"example.com/org/repo/base?ref=v1",
		"  https://example.com/x.yaml",
		"gitlab.com/org/repo/base",
		"bitbucket.org/org/repo/base",
		"dev.azure.com/org/project/_git/repo",
		"ssh.dev.azure.com/v3/org/project/repo",
		"git-codecommit/repo",
		"example.com/org/base?timeout=1&ref=v2",
		"example.com/chart?version=1.2.3",
	] {
		flux10_paths(p.errors(flux10_kust({"resources": ["local.yaml", e]}))) == {["resources", 1]}
	}
}

test_local_entries_pass if {
	obj := flux10_kust({"resources": ["deployment.yaml", "../base", "./overlays/prod", "configs.d/app.yaml", "github.com.yaml", "team@x.yaml", "gitlab.community/base", "refs=x/ref", "version=1"]})
	count(p.errors(obj)) == 0
}

test_components_and_bases if {
	obj := flux10_kust({"components": ["../components/x", "https://github.com/org/c//comp?ref=v1"], "bases": ["github.com/org/repo/base?ref=v2"]})
	flux10_paths(p.errors(obj)) == {["components", 1], ["bases", 0]}
}

test_malformed_entries_do_not_crash if {
	count(p.errors(flux10_kust({"resources": [7, null, {"path": "https://x/y"}]}))) == 0
	count(p.errors(flux10_kust({"resources": "https://x/y"}))) == 0
}

test_only_kustomize_config_files if {
	flux := {"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization", "resources": ["https://x/y"]}
	count(p.errors(flux)) == 0
	every v in ["v1beta1", "v1alpha1"] {
		o := {"apiVersion": concat("/", ["kustomize.config.k8s.io", v]), "kind": "Kustomization", "resources": ["https://x/y"]}
		count(p.errors(o)) == 1
	}
	comp := {"apiVersion": "kustomize.config.k8s.io/v1alpha1", "kind": "Component", "resources": ["https://x/y"]}
	count(p.errors(comp)) == 1
}

test_wiring if {
	d := p.deny with input.apiVersion as "kustomize.config.k8s.io/v1beta1"
		with input.kind as "Kustomization"
		with input.resources as ["a.yaml", "https://github.com/org/repo//x?ref=main"]
	flux10_paths(d) == {["resources", 1]}
}
