# METADATA
# title: Resource lands in the default namespace
# description: >-
#   With tenants declared (`tenancy: multi` or a tenant list), `metadata.namespace: default` is an
#   error, and so is `namespace: default` in a kustomization.yaml or `spec.targetNamespace: default`
#   on a Flux Kustomization or HelmRelease: the default namespace has no owner, quota or tenant RBAC.
#   A single-tenant fleet may choose it deliberately, and cluster-scoped kinds (which kustomize may
#   stamp with a namespace) never land in it. A namespaced resource without
#   `metadata.namespace` is fine only when something sets it: a kustomization.yaml in its directory
#   or above, or a Flux Kustomization with `spec.targetNamespace` whose `spec.path` holds the file
#   (files from data.kubegate.sources). Best effort: kustomization.yaml contents are not in the
#   policy data, so any kustomization.yaml above the file counts as setting the namespace. Missing
#   namespaces are an error only when the run shows kustomizations but none covers the file, and a
#   warning when the run cannot tell (the file or the kind's scope is unknown, or no kustomization is
#   in the run, as in a pre-commit run on single files).
# related_resources:
#   - ref: https://kyverno.io/policies/best-practices/disallow-default-namespace/disallow-default-namespace/
#     description: Kyverno disallow-default-namespace
#   - ref: https://github.com/bridgecrewio/checkov/blob/main/checkov/kubernetes/checks/resource/k8s/DefaultNamespace.py
#     description: Checkov CKV_K8S_21 (default namespace)
#   - ref: https://fluxcd.io/flux/components/kustomize/kustomizations/#target-namespace
#     description: Flux Kustomization targetNamespace
# custom:
#   id: META-003
#   name: default-namespace
#   severity: error
#   remediation: >-
#     Set `metadata.namespace` to the team's namespace, or set `namespace:` in the kustomization.yaml
#     (or `spec.targetNamespace` on the Flux Kustomization) that applies the file.
#   params: []
package kubegate.meta.default_namespace

import rego.v1

import data.lib.img_ext
import data.lib.k8s

deny contains f if some f in errors(input)

warn contains f if some f in warnings(input)

errors(obj) := _meta3_default_findings(obj) | {f |
	_meta3_unset(obj)
	_meta3_scope(obj) == "Namespaced"
	_meta3_coverage(obj) == "none"
	f := {"msg": concat("", [obj.kind, " '", k8s.name(obj), "' has no metadata.namespace and no kustomization.yaml or Flux Kustomization targetNamespace covers its file, so it lands in the default namespace"]), "path": ["metadata"]}
}

warnings(obj) := {f |
	_meta3_unset(obj)
	scope := _meta3_scope(obj)
	scope != "Cluster"
	coverage := _meta3_coverage(obj)
	coverage != "all"
	not _meta3_is_error(scope, coverage)
	count(_meta3_default_findings(obj)) == 0
	f := {"msg": concat("", [obj.kind, " '", k8s.name(obj), "' has no metadata.namespace; kubegate could not tell whether a kustomization.yaml or Flux targetNamespace sets it"]), "path": ["metadata"]}
}

# Every document of a run reaches this rule: test the three fields at once before working out
# which of them applies to obj.
_meta3_default_findings(obj) := {f |
	_meta3_mentions_default(obj)
	k8s.multi_tenant # a single-tenant fleet may choose the default namespace deliberately
	_meta3_scope(obj) != "Cluster" # kustomize stamps `namespace:` on kinds it does not know
	some x in _meta3_namespace_fields(obj)
	object.get(obj, x, null) == "default"
	f := {"msg": concat("", [_meta3_noun(obj), " targets the default namespace"]), "path": x}
}

_meta3_mentions_default(obj) if obj.metadata.namespace == "default"

_meta3_mentions_default(obj) if obj.namespace == "default"

_meta3_mentions_default(obj) if obj.spec.targetNamespace == "default"

_meta3_noun(obj) := "kustomization.yaml" if _meta3_kustomize_file(obj)
else := concat("", [k8s.text(obj.kind), " '", k8s.name(obj), "'"])

_meta3_namespace_fields(obj) := [["namespace"]] if _meta3_kustomize_file(obj)
else := [["metadata", "namespace"], ["spec", "targetNamespace"]] if _meta3_flux_kind(obj)
else := [["metadata", "namespace"]]

_meta3_kustomize_file(obj) if startswith(k8s.text(object.get(obj, "apiVersion", "")), "kustomize.config.k8s.io/")

_meta3_flux_kind(obj) if {
	obj.kind in {"Kustomization", "HelmRelease"}
	api := k8s.text(object.get(obj, "apiVersion", ""))
	regex.match(`^(kustomize|helm)\.toolkit\.fluxcd\.io/`, api)
}

# A resource that Kubernetes would place in a namespace but whose manifest names none.
# The namespace first: most documents of a run have one, and this rule sees every document.
_meta3_unset(obj) if {
	k8s.namespace(obj) == ""
	is_string(obj.kind)
	is_object(obj.metadata)
	not _meta3_kustomize_file(obj)
	obj.kind != "List"
}

# How the files of obj are covered by something that sets the namespace: "all" of them, "none"
# (and the run shows kustomizations, so none would be seen), or "unknown" (no file known, some
# covered, or no structure to judge by). Finding the files is most of this rule's cost: once a call.
_meta3_coverage(obj) := _meta3_coverage_of(count(files), count(_meta3_covered_files(files))) if {
	files := img_ext.source_files(obj)
}

_meta3_coverage_of(n, covered) := "all" if {
	n > 0
	covered == n
} else := "none" if {
	n > 0
	covered == 0
	_meta3_structure_known
} else := "unknown"

_meta3_is_error(scope, coverage) if {
	scope == "Namespaced"
	coverage == "none"
}

# (A comprehension, not `every`: regopy 1.5.2 fails on `every` over a local set here.)
_meta3_covered_files(files) := {file |
	some file in files
	_meta3_covered(file)
}

# A directory covers a file when it is one of the file's ancestors (a prefix ending before a "/"), or
# the whole tree ("" or "."): set lookups per ancestor, where testing every directory per file was
# quadratic in the fleet.
_meta3_covered(file) if count(_meta3_ancestors(file) & _meta3_covering_dirs) > 0

_meta3_ancestors(file) := {concat("/", array.slice(parts, 0, k)) |
	parts := split(file, "/")
	some k in numbers.range(0, count(parts) - 1)
} | {"."}

_meta3_covering_dirs := _meta3_kustomize_dirs | _meta3_flux_target_paths

_meta3_dirname(file) := concat("/", array.slice(parts, 0, count(parts) - 1)) if {
	parts := split(img_ext.clean_path(file), "/")
}

_meta3_kustomize_dirs := {_meta3_dirname(s.file) |
	some s in img_ext.sources
	is_object(s)
	startswith(k8s.text(object.get(s, "apiVersion", "")), "kustomize.config.k8s.io/")
	is_string(s.file)
}

_meta3_flux_kustomizations := [k |
	some k in k8s.resources
	is_object(k)
	k.kind == "Kustomization"
	startswith(k8s.text(object.get(k, "apiVersion", "")), "kustomize.toolkit.fluxcd.io/")
]

_meta3_flux_target_paths := {trim_suffix(img_ext.clean_path(path), "/") |
	some k in _meta3_flux_kustomizations
	target := object.get(k, ["spec", "targetNamespace"], "")
	is_string(target)
	target != ""
	path := object.get(k, ["spec", "path"], "")
	is_string(path)
}

_meta3_structure_known if count(_meta3_kustomize_dirs) > 0

_meta3_structure_known if count(_meta3_flux_kustomizations) > 0

# Scope of the kind: the built-in and Flux kinds, then CustomResourceDefinitions of the run.
_meta3_scope(obj) := "Cluster" if obj.kind in _meta3_cluster_kinds
else := "Namespaced" if obj.kind in _meta3_namespaced_kinds
else := s if s := _meta3_crd_scope(obj)
else := "Unknown"

_meta3_crd_scope(obj) := "Cluster" if {
	[obj.kind, "Cluster"] in _meta3_crd_kind_scopes
	not [obj.kind, "Namespaced"] in _meta3_crd_kind_scopes
} else := "Namespaced" if {
	[obj.kind, "Namespaced"] in _meta3_crd_kind_scopes
	not [obj.kind, "Cluster"] in _meta3_crd_kind_scopes
}

# [kind, scope] for each scope the run's CRDs declare for a kind: a kind has a known scope when its
# CRDs agree on one. Built in one pass (comparing every CRD with every other was quadratic: 15 ms
# per query on a fleet that vendors its CRDs) and looked up twice per document.
_meta3_crd_kind_scopes := {[kind, s] |
	some crd in _meta3_crds
	kind := object.get(crd, ["spec", "names", "kind"], "")
	is_string(kind)
	s := object.get(crd, ["spec", "scope"], "")
	s in {"Cluster", "Namespaced"}
}

_meta3_crds := [crd |
	some crd in k8s.resources
	is_object(crd)
	crd.kind == "CustomResourceDefinition"
]

_meta3_cluster_kinds := {
	"Namespace", "Node", "PersistentVolume", "ClusterRole", "ClusterRoleBinding",
	"CustomResourceDefinition", "StorageClass", "PriorityClass", "IngressClass", "RuntimeClass",
	"CSIDriver", "CSINode", "VolumeAttachment", "ValidatingWebhookConfiguration",
	"MutatingWebhookConfiguration", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding",
	"MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding", "APIService",
	"CertificateSigningRequest", "PodSecurityPolicy", "FlowSchema", "PriorityLevelConfiguration",
	"ClusterTrustBundle", "DeviceClass", "IPAddress", "ServiceCIDR", "VolumeAttributesClass",
	"ComponentStatus",
}

_meta3_namespaced_kinds := {
	"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job",
	"CronJob", "Service", "ConfigMap", "Secret", "ServiceAccount", "Role", "RoleBinding", "Ingress",
	"NetworkPolicy", "PersistentVolumeClaim", "HorizontalPodAutoscaler", "PodDisruptionBudget",
	"LimitRange", "ResourceQuota", "Endpoints", "EndpointSlice", "Lease", "PodTemplate",
	"ControllerRevision", "GitRepository", "OCIRepository", "HelmRepository", "HelmChart", "Bucket",
	"Kustomization", "HelmRelease", "ImageRepository", "ImagePolicy", "ImageUpdateAutomation",
	"Alert", "Provider", "Receiver",
}
