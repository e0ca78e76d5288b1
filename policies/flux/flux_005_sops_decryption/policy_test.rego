package kubegate.flux.sops_decryption_test

import rego.v1

import data.kubegate.flux.sops_decryption as p

flux5_ks(spec) := {"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization", "metadata": {"name": "apps", "namespace": "flux-system"}, "spec": spec}

flux5_paths(set) := {f.path | some f in set}

flux5_files := ["apps/prod/secret.enc.yaml", "./infra/db/creds.yaml"]

test_sops_file_under_path_needs_decryption if {
	files := flux5_files
	flux5_paths(p.errors(flux5_ks({"path": "./apps/prod"}))) == {["spec"]} with data.kubegate.sops_files as files
	flux5_paths(p.errors(flux5_ks({"path": "./apps"}))) == {["spec"]} with data.kubegate.sops_files as files
	flux5_paths(p.errors(flux5_ks({"path": "infra/"}))) == {["spec"]} with data.kubegate.sops_files as files
	flux5_paths(p.errors(flux5_ks({"path": "/apps/prod/"}))) == {["spec"]} with data.kubegate.sops_files as files
}

test_decryption_sops_passes if {
	files := flux5_files
	count(p.errors(flux5_ks({"path": "./apps", "decryption": {"provider": "sops", "secretRef": {"name": "sops-age"}}}))) == 0 with data.kubegate.sops_files as files
}

test_wrong_provider_points_at_it if {
	files := flux5_files
	flux5_paths(p.errors(flux5_ks({"path": "./apps", "decryption": {"provider": "SOPS"}}))) == {["spec", "decryption", "provider"]} with data.kubegate.sops_files as files
	flux5_paths(p.errors(flux5_ks({"path": "./apps", "decryption": {}}))) == {["spec", "decryption"]} with data.kubegate.sops_files as files
}

test_path_is_a_directory_not_a_string_prefix if {
	files := flux5_files
	count(p.errors(flux5_ks({"path": "./app"}))) == 0 with data.kubegate.sops_files as files
	count(p.errors(flux5_ks({"path": "./apps/pro"}))) == 0 with data.kubegate.sops_files as files
	count(p.errors(flux5_ks({"path": "./web"}))) == 0 with data.kubegate.sops_files as files
}

test_relative_files_need_a_prefix_match if {
	# clusters/staging/apps/... is not under ./apps when the run's directory is the repository root.
	count(p.errors(flux5_ks({"path": "./apps"}))) == 0 with data.kubegate.sops_files as ["clusters/staging/apps/s.yaml"]
}

test_absolute_and_parent_paths_match_by_suffix if {
	count(p.errors(flux5_ks({"path": "./apps/prod"}))) == 1 with data.kubegate.sops_files as ["/src/fleet/apps/prod/s.yaml"]
	count(p.errors(flux5_ks({"path": "./apps/prod"}))) == 1 with data.kubegate.sops_files as ["../fleet/apps/prod/s.yaml"]
	count(p.errors(flux5_ks({"path": "./apps/prod"}))) == 0 with data.kubegate.sops_files as ["/src/fleet/apps/production/s.yaml"]
}

test_source_root_is_not_judged if {
	files := flux5_files
	count(p.errors(flux5_ks({}))) == 0 with data.kubegate.sops_files as files
	count(p.errors(flux5_ks({"path": "./"}))) == 0 with data.kubegate.sops_files as files
	count(p.errors(flux5_ks({"path": "."}))) == 0 with data.kubegate.sops_files as files
}

test_no_sops_files_or_malformed_data if {
	files := flux5_files
	count(p.errors(flux5_ks({"path": "./apps"}))) == 0
	count(p.errors(flux5_ks({"path": "./apps"}))) == 0 with data.kubegate.sops_files as "apps/x.yaml"
	count(p.errors(flux5_ks({"path": "./apps"}))) == 0 with data.kubegate.sops_files as [1, null]
	count(p.errors(flux5_ks({"path": 3}))) == 0 with data.kubegate.sops_files as files
}

test_only_flux_kustomizations if {
	files := flux5_files
	obj := {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "spec": {"path": "./apps"}}
	count(p.errors(obj)) == 0 with data.kubegate.sops_files as files
	every v in ["v1beta1", "v1beta2", "v1"] {
		o := {"apiVersion": concat("/", ["kustomize.toolkit.fluxcd.io", v]), "kind": "Kustomization", "spec": {"path": "./apps"}}
		count(p.errors(o)) == 1 with data.kubegate.sops_files as files
	}
}

test_wiring if {
	files := flux5_files
	d := p.deny with input.apiVersion as "kustomize.toolkit.fluxcd.io/v1"
		with input.kind as "Kustomization"
		with input.spec as {"path": "./apps/prod"}
		with data.kubegate.sops_files as files
	flux5_paths(d) == {["spec"]}
}
