# METADATA
# title: Flux Kustomization or HelmRelease does not impersonate a service account
# description: >-
#   A Flux Kustomization or HelmRelease (any API version) outside the platform namespaces has no
#   `spec.serviceAccountName`, so the controller applies it with its own cluster-admin identity
#   (unless the controller runs with `--default-service-account`, which the repository cannot
#   show). Objects in `platform_namespaces` (default `flux-system`) reconcile as cluster-admin by
#   design. When `metadata.namespace` is absent (kustomize or a parent Kustomization sets it later)
#   the namespace is unknown before render: the finding is a warning. A multi-tenancy lockdown
#   rule: it reports only when the configuration declares tenants (`tenancy: multi`, or in the
#   listed tenant namespaces); a single-tenant fleet (the default profile) reconciles as
#   cluster-admin by design.
# related_resources:
#   - ref: https://fluxcd.io/flux/installation/configuration/multitenancy/
#     description: Flux multi-tenancy lockdown
#   - ref: https://fluxcd.io/flux/components/kustomize/kustomizations/#role-based-access-control
#     description: Flux Kustomization service account impersonation
#   - ref: https://fluxcd.io/flux/components/helm/helmreleases/#role-based-access-control
#     description: Flux HelmRelease service account impersonation
#   - ref: https://github.com/fluxcd/flux2-multi-tenancy
#     description: Flux multi-tenancy reference fleet
# custom:
#   id: FLUX-001
#   name: flux-service-account-impersonation
#   kinds: [Kustomization, HelmRelease]
#   severity: error
#   remediation: >-
#     Set `spec.serviceAccountName` to a ServiceAccount of the tenant namespace bound to the
#     least-privileged role the tenant needs (the flux2-multi-tenancy `gotk-reconciler` pattern).
#     Namespaces that legitimately reconcile as cluster-admin go in
#     `policies.params.FLUX-001.platform_namespaces`.
#   params: [platform_namespaces]
package kubegate.flux.service_account_impersonation

import rego.v1

import data.lib.flux_ext
import data.lib.k8s

id := "FLUX-001"

deny contains f if some f in errors(input)

warn contains f if some f in warnings(input)

errors(obj) := {f |
	_flux1_unimpersonated(obj)
	ns := k8s.namespace(obj)
	ns != ""
	not flux_ext.platform_namespace(id, ns)
	k8s.tenant_namespace(ns)
	f := {
		"msg": concat("", [obj.kind, " '", k8s.name(obj), "' sets no spec.serviceAccountName: the controller applies it as cluster-admin"]),
		"path": flux_ext.present_path(obj, ["spec"]),
	}
}

warnings(obj) := {f |
	k8s.multi_tenant
	_flux1_unimpersonated(obj)
	k8s.namespace(obj) == ""
	f := {
		"msg": concat("", [obj.kind, " '", k8s.name(obj), "' sets no spec.serviceAccountName and no metadata.namespace: unless it lands in a platform namespace, the controller applies it as cluster-admin"]),
		"path": flux_ext.present_path(obj, ["spec"]),
	}
}

_flux1_unimpersonated(obj) if {
	flux_ext.is_flux_sync(obj)
	not flux_ext.nonempty_string(object.get(obj, ["spec", "serviceAccountName"], null))
}
