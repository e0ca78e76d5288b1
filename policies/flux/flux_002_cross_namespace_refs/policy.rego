# METADATA
# title: Flux object references another namespace
# description: >-
#   A Flux object outside the platform namespaces names a namespace other than its own in a
#   reference: Kustomization `spec.sourceRef` and `spec.dependsOn[]`, HelmRelease
#   `spec.chart.spec.sourceRef`, `spec.chartRef` and `spec.dependsOn[]`, ImagePolicy
#   `spec.imageRepositoryRef`, ImageUpdateAutomation `spec.sourceRef` (every API version). A tenant
#   that can point at another namespace's sources reads what it was not given; Flux's multi-tenancy
#   lockdown (`--no-cross-namespace-refs`) makes such objects fail to reconcile. A reference without
#   a namespace means the object's own namespace. When the object itself has no
#   `metadata.namespace`, the comparison waits for render: the finding is a warning. A
#   multi-tenancy lockdown rule: it reports only when the configuration declares tenants
#   (`tenancy: multi`, or in the listed tenant namespaces).
# related_resources:
#   - ref: https://fluxcd.io/flux/installation/configuration/multitenancy/
#     description: Flux multi-tenancy lockdown (--no-cross-namespace-refs)
#   - ref: https://fluxcd.io/flux/components/kustomize/kustomizations/#source-reference
#     description: Flux Kustomization source reference
#   - ref: https://fluxcd.io/flux/components/helm/helmreleases/#chart-reference
#     description: Flux HelmRelease chart reference
# custom:
#   id: FLUX-002
#   name: flux-cross-namespace-reference
#   kinds: [Kustomization, HelmRelease, ImagePolicy, ImageUpdateAutomation]
#   severity: error
#   remediation: >-
#     Create the source (GitRepository, OCIRepository, HelmRepository, ImageRepository) in the
#     tenant's namespace and drop the `namespace` from the reference. Platform namespaces that may
#     reference others go in `policies.params.FLUX-002.platform_namespaces`.
#   params: [platform_namespaces]
package kubegate.flux.cross_namespace_refs

import rego.v1

import data.lib.flux_ext
import data.lib.k8s

id := "FLUX-002"

deny contains f if some f in errors(input)

warn contains f if some f in warnings(input)

errors(obj) := {f |
	ns := k8s.namespace(obj)
	ns != ""
	not flux_ext.platform_namespace(id, ns)
	k8s.tenant_namespace(ns)
	some ref in _flux2_refs(obj)
	ref.namespace != ns
	f := {
		"msg": concat("", [obj.kind, " '", k8s.name(obj), "' references another namespace in ", ref.field, ": cross-namespace references bypass tenant isolation"]),
		"path": ref.path,
	}
}

warnings(obj) := {f |
	k8s.multi_tenant
	k8s.namespace(obj) == ""
	some ref in _flux2_refs(obj)
	f := {
		"msg": concat("", [obj.kind, " '", k8s.name(obj), "' has no metadata.namespace but names a namespace in ", ref.field, ": the reference may cross namespaces"]),
		"path": ref.path,
	}
}

# _flux2_refs(obj): [{"field", "path", "namespace"}] for each reference of obj that names a
# namespace (an absent or empty namespace is the object's own).
_flux2_refs(obj) := [r |
	some spec in _flux2_ref_fields(obj)
	ref := object.get(obj, spec.at, null)
	is_object(ref)
	ns := object.get(ref, "namespace", "")
	flux_ext.nonempty_string(ns)
	r := {"field": spec.field, "path": array.concat(spec.at, ["namespace"]), "namespace": ns}
]

# Reference fields by API group and kind: one lookup, where a body per kind cost every
# Kustomization and HelmRelease of a fleet four calls.
_flux2_ref_fields(obj) := array.concat(spec.fields, _flux2_depends_on(obj, spec.depends_on)) if {
	spec := _flux2_kinds[concat("/", [flux_ext.api_group(obj), k8s.text(obj.kind)])]
}

_flux2_kinds := {
	concat("/", [flux_ext.kustomize_group, "Kustomization"]): {
		"fields": [{"field": "spec.sourceRef", "at": ["spec", "sourceRef"]}],
		"depends_on": true,
	},
	concat("/", [flux_ext.helm_group, "HelmRelease"]): {
		"fields": [
			{"field": "spec.chart.spec.sourceRef", "at": ["spec", "chart", "spec", "sourceRef"]},
			{"field": "spec.chartRef", "at": ["spec", "chartRef"]},
		],
		"depends_on": true,
	},
	concat("/", [flux_ext.image_group, "ImagePolicy"]): {
		"fields": [{"field": "spec.imageRepositoryRef", "at": ["spec", "imageRepositoryRef"]}],
		"depends_on": false,
	},
	concat("/", [flux_ext.image_group, "ImageUpdateAutomation"]): {
		"fields": [{"field": "spec.sourceRef", "at": ["spec", "sourceRef"]}],
		"depends_on": false,
	},
}

_flux2_depends_on(obj, wanted) := [{"field": "spec.dependsOn", "at": ["spec", "dependsOn", i]} |
	some i
	wanted
	deps := object.get(obj, ["spec", "dependsOn"], [])
	is_array(deps)
	_ = deps[i]
]
