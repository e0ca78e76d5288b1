# METADATA
# title: Cluster-wide RBAC in a tenant's files
# description: >-
#   A ClusterRole or ClusterRoleBinding defined in a file under a tenant path
#   (`tenant_path_globs`, default `tenants/**`), or labelled `toolkit.fluxcd.io/tenant` (the label
#   `flux create tenant` puts on tenant objects). Tenants are confined to their namespaces: a
#   tenant that can ship cluster-scoped RBAC grants itself rights beyond them, and its
#   impersonated reconciler should not be able to apply it at all. A glob matches the file path
#   relative to where kubegate runs, or any trailing part of it that starts at a directory, so
#   `tenants/**` matches `fleet/tenants/dev/rbac.yaml` too. Files come from
#   data.kubegate.sources (raw files; resources that exist only after rendering are judged by
#   the label alone).
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/security/rbac-good-practices/
#     description: Kubernetes RBAC good practices
#   - ref: https://fluxcd.io/flux/installation/configuration/multitenancy/
#     description: Flux multi-tenancy lockdown
#   - ref: https://github.com/fluxcd/flux2-multi-tenancy
#     description: Flux multi-tenancy reference (tenants/ holds namespaced RBAC only)
# custom:
#   id: RBAC-009
#   name: tenant-cluster-scope
#   kinds: [ClusterRole, ClusterRoleBinding]
#   severity: error
#   remediation: >-
#     Move the ClusterRole or ClusterRoleBinding to the platform team's directory (for example
#     `infrastructure/`), or give the tenant a Role and RoleBinding in its namespace. Adjust the
#     tenant directories with `policies.params.RBAC-009.tenant_path_globs`.
#   params: [tenant_path_globs]
package kubegate.rbac.tenant_cluster_scope

import rego.v1

import data.lib.k8s
import data.lib.rbac_ext

id := "RBAC-009"

tenant_label := "toolkit.fluxcd.io/tenant"

cluster_kinds := {"ClusterRole", "ClusterRoleBinding"}

deny contains f if some f in errors(input)

errors(obj) := _tenant_by_path(obj) | _tenant_by_label(obj)

_tenant_by_path(obj) := {f |
	obj.kind in cluster_kinds
	rbac_ext.rbac_api(obj)
	globs := k8s.param(id, "tenant_path_globs", ["tenants/**"])
	is_array(globs)
	some file in rbac_ext.source_files(obj)
	rbac_ext.file_matches_globs(file, globs)
	f := {
		"msg": concat("", [obj.kind, " '", k8s.name(obj), "' is defined under a tenant path: tenants get namespaced RBAC only"]),
		"path": [],
	}
}

_tenant_by_label(obj) := {f |
	obj.kind in cluster_kinds
	rbac_ext.rbac_api(obj)
	labels := rbac_ext.metadata_labels(obj)
	some key in object.keys(labels)
	key == tenant_label
	f := {
		"msg": concat("", [obj.kind, " '", k8s.name(obj), "' carries the Flux tenant label: tenants get namespaced RBAC only"]),
		"path": ["metadata", "labels", key],
	}
}
