# METADATA
# title: Flux Kustomization or HelmRelease deploys with a kubeconfig
# description: >-
#   A Flux Kustomization or HelmRelease (any API version) sets `spec.kubeConfig`: it applies with
#   whatever identity the referenced Secret (`secretRef`) or ConfigMap (`configMapRef`) holds, to
#   whatever cluster it names, out of reach of `serviceAccountName` impersonation and the cluster's
#   RBAC review. Hub-and-spoke fleets allowlist their remote-cluster kubeconfigs by
#   `namespace/name` of the Secret or ConfigMap (`allowed_kubeconfig_refs`, globs with `/` as
#   separator, e.g. `flux-system/*-kubeconfig`).
# related_resources:
#   - ref: https://fluxcd.io/flux/components/kustomize/kustomizations/#kubeconfig-remote-clusters
#     description: Flux Kustomization remote clusters
#   - ref: https://fluxcd.io/flux/components/helm/helmreleases/#kubeconfig-remote-clusters
#     description: Flux HelmRelease remote clusters
#   - ref: https://fluxcd.io/flux/security/best-practices/
#     description: Flux security best practices
# custom:
#   id: FLUX-004
#   name: flux-kubeconfig
#   kinds: [Kustomization, HelmRelease]
#   severity: error
#   remediation: >-
#     Drop `spec.kubeConfig` and deploy with `spec.serviceAccountName` on the target cluster, or
#     list the kubeconfig Secret as `namespace/name` in
#     `policies.params.FLUX-004.allowed_kubeconfig_refs`.
#   params: [allowed_kubeconfig_refs]
package kubegate.flux.kubeconfig

import rego.v1

import data.lib.flux_ext
import data.lib.k8s

id := "FLUX-004"

deny contains f if some f in errors(input)

errors(obj) := {f |
	flux_ext.is_flux_sync(obj)
	kc := object.get(obj, ["spec", "kubeConfig"], null)
	kc != null
	not _flux4_allowed(obj, kc)
	f := {
		"msg": concat("", [obj.kind, " '", k8s.name(obj), "' sets spec.kubeConfig: it deploys with credentials outside the cluster's RBAC and impersonation"]),
		"path": ["spec", "kubeConfig"],
	}
}

# Every reference the kubeconfig names must be allowlisted (a hand-edited object may set both).
_flux4_allowed(obj, kc) if {
	names := _flux4_ref_names(kc)
	count(names) > 0
	every n in names {
		flux_ext.ns_name_matches(k8s.param(id, "allowed_kubeconfig_refs", []), k8s.namespace(obj), n)
	}
}

_flux4_ref_names(kc) := {n |
	is_object(kc)
	some field in ["secretRef", "configMapRef"]
	n := object.get(kc, [field, "name"], null)
	flux_ext.nonempty_string(n)
}
