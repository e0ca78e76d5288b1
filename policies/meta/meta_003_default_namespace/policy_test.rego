package kubegate.meta.default_namespace_test

import rego.v1

import data.kubegate.meta.default_namespace as p

meta3_cm(ns) := {"apiVersion": "v1", "kind": "ConfigMap", "metadata": object.union({"name": "cfg"}, ns)}

meta3_paths(set) := {f.path | some f in set}

meta3_src(file) := {"apiVersion": "v1", "kind": "ConfigMap", "namespace": "", "name": "cfg", "file": file, "line": 1}

meta3_kust(dir) := {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "namespace": "", "name": "", "file": concat("", [dir, "kustomization.yaml"]), "line": 1}

meta3_flux(path, target) := {
	"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
	"metadata": {"name": "apps", "namespace": "flux-system"},
	"spec": object.union({"path": path}, target),
}

test_default_namespace_is_an_error if {
	meta3_paths(p.errors(meta3_cm({"namespace": "default"}))) == {["metadata", "namespace"]}
	count(p.errors(meta3_cm({"namespace": "team-a"}))) == 0
	count(p.errors(meta3_cm({"namespace": "Default"}))) == 0
}

test_kustomization_yaml_and_flux_target_default if {
	kz := {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "namespace": "default", "resources": ["a.yaml"]}
	meta3_paths(p.errors(kz)) == {["namespace"]}
	[f.msg | some f in p.errors(kz)] == ["kustomization.yaml targets the default namespace"]
	flux := meta3_flux("./apps", {"targetNamespace": "default"})
	meta3_paths(p.errors(flux)) == {["spec", "targetNamespace"]}
	hr := {"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease", "metadata": {"name": "h", "namespace": "default"}, "spec": {"targetNamespace": "default"}}
	meta3_paths(p.errors(hr)) == {["metadata", "namespace"], ["spec", "targetNamespace"]}

	# A kustomization.yaml without a namespace sets nothing: not a finding.
	count(p.errors({"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization"})) == 0
	count(p.warnings({"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization"})) == 0
}

test_missing_namespace_unknown_is_a_warning if {
	# No sources (a bare policy run): the linter cannot tell.
	meta3_paths(p.warnings(meta3_cm({}))) == {["metadata"]}
	count(p.errors(meta3_cm({}))) == 0
}

test_cluster_scoped_kinds_need_no_namespace if {
	count(p.warnings({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}})) == 0
	count(p.warnings({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "a"}})) == 0
}

test_crd_scope_from_the_run if {
	res := [
		{"kind": "CustomResourceDefinition", "spec": {"scope": "Cluster", "names": {"kind": "ClusterIssuer"}}},
		{"kind": "CustomResourceDefinition", "spec": {"scope": "Namespaced", "names": {"kind": "Certificate"}}},
	]
	srcs := [
		{"kind": "ClusterIssuer", "namespace": "", "name": "x", "file": "infra/issuer.yaml"},
		{"kind": "Certificate", "namespace": "", "name": "x", "file": "infra/cert.yaml"},
		{"kind": "Widget", "namespace": "", "name": "x", "file": "infra/widget.yaml"},
		meta3_kust("apps/"),
	]
	count(p.warnings({"kind": "ClusterIssuer", "metadata": {"name": "x"}})) == 0 with data.kubegate.resources as res with data.kubegate.sources as srcs
	meta3_paths(p.errors({"kind": "Certificate", "metadata": {"name": "x"}})) == {["metadata"]} with data.kubegate.resources as res with data.kubegate.sources as srcs

	# Unknown scope: never an error, a warning at most.
	count(p.errors({"kind": "Widget", "metadata": {"name": "x"}})) == 0 with data.kubegate.resources as res with data.kubegate.sources as srcs
	count(p.warnings({"kind": "Widget", "metadata": {"name": "x"}})) == 1 with data.kubegate.resources as res with data.kubegate.sources as srcs
}

test_crds_that_disagree_on_a_scope_leave_it_unknown if {
	# Two API groups may both define a kind; when their scopes differ, the scope is unknown.
	res := [
		{"kind": "CustomResourceDefinition", "spec": {"scope": "Cluster", "names": {"kind": "Policy"}}},
		{"kind": "CustomResourceDefinition", "spec": {"scope": "Namespaced", "names": {"kind": "Policy"}}},
		{"kind": "CustomResourceDefinition", "spec": {"scope": "Namespaced", "names": {"kind": "Backup"}}},
		{"kind": "CustomResourceDefinition", "spec": {"scope": "Namespaced", "names": {"kind": "Backup"}}},
	]
	srcs := [
		{"kind": "Policy", "namespace": "", "name": "x", "file": "infra/policy.yaml"},
		{"kind": "Backup", "namespace": "", "name": "x", "file": "infra/backup.yaml"},
		meta3_kust("apps/"),
	]
	count(p.errors({"kind": "Policy", "metadata": {"name": "x"}})) == 0 with data.kubegate.resources as res with data.kubegate.sources as srcs
	count(p.warnings({"kind": "Policy", "metadata": {"name": "x"}})) == 1 with data.kubegate.resources as res with data.kubegate.sources as srcs
	meta3_paths(p.errors({"kind": "Backup", "metadata": {"name": "x"}})) == {["metadata"]} with data.kubegate.resources as res with data.kubegate.sources as srcs
}

test_covered_by_kustomization_yaml_above if {
	srcs := [meta3_src("apps/team-a/base/cfg.yaml"), meta3_kust("apps/team-a/")]
	count(p.errors(meta3_cm({}))) == 0 with data.kubegate.sources as srcs
	count(p.warnings(meta3_cm({}))) == 0 with data.kubegate.sources as srcs
}

test_sibling_directory_kustomization_does_not_cover if {
	# apps/team-a-extra/ is not under apps/team-a/: compare whole path segments.
	srcs := [meta3_src("apps/team-a-extra/cfg.yaml"), meta3_kust("apps/team-a/")]
	meta3_paths(p.errors(meta3_cm({}))) == {["metadata"]} with data.kubegate.sources as srcs
	count(p.warnings(meta3_cm({}))) == 0 with data.kubegate.sources as srcs
}

test_covered_by_flux_target_namespace if {
	srcs := [meta3_src("apps/team-a/cfg.yaml")]
	with_target := [meta3_flux("./apps/team-a/", {"targetNamespace": "team-a"})]
	without_target := [meta3_flux("./apps/team-a", {})]
	other_path := [meta3_flux("./apps/team-b", {"targetNamespace": "team-b"})]
	count(p.errors(meta3_cm({}))) == 0 with data.kubegate.sources as srcs with data.kubegate.resources as with_target
	count(p.warnings(meta3_cm({}))) == 0 with data.kubegate.sources as srcs with data.kubegate.resources as with_target
	meta3_paths(p.errors(meta3_cm({}))) == {["metadata"]} with data.kubegate.sources as srcs with data.kubegate.resources as without_target
	meta3_paths(p.errors(meta3_cm({}))) == {["metadata"]} with data.kubegate.sources as srcs with data.kubegate.resources as other_path
}

test_partly_covered_identity_is_a_warning if {
	# The same identity in a covered and an uncovered file: which copy this input is cannot be
	# told, so a warning rather than an error.
	srcs := [meta3_src("apps/team-a/cfg.yaml"), meta3_src("loose/cfg.yaml"), meta3_kust("apps/team-a/")]
	count(p.errors(meta3_cm({}))) == 0 with data.kubegate.sources as srcs
	meta3_paths(p.warnings(meta3_cm({}))) == {["metadata"]} with data.kubegate.sources as srcs
}

test_file_unknown_is_a_warning if {
	# Sources describe the run, but not this resource (for instance a rendered one).
	srcs := [meta3_kust("apps/")]
	count(p.errors(meta3_cm({}))) == 0 with data.kubegate.sources as srcs
	count(p.warnings(meta3_cm({}))) == 1 with data.kubegate.sources as srcs
}

test_malformed_input_ignored if {
	count(p.errors({"kind": "ConfigMap"})) == 0
	count(p.warnings({"kind": "ConfigMap"})) == 0
	count(p.warnings({"kind": "ConfigMap", "metadata": "x"})) == 0
	count(p.warnings({"kind": "ConfigMap", "metadata": {"name": "c", "namespace": 3}})) == 1
}

test_wiring if {
	d := p.deny with input.kind as "ConfigMap" with input.metadata as {"name": "c", "namespace": "default"}
	meta3_paths(d) == {["metadata", "namespace"]}
	w := p.warn with input.kind as "ConfigMap" with input.metadata as {"name": "c"}
	meta3_paths(w) == {["metadata"]}
}
