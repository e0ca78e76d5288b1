# METADATA
# title: Default ServiceAccount is bound or used
# description: >-
#   Every pod of a namespace that names no ServiceAccount runs as `default`, so a RoleBinding or
#   ClusterRoleBinding whose subject is the ServiceAccount `default` hands its role to all of
#   them (error); so does a Group subject `system:serviceaccounts` (every ServiceAccount of the
#   cluster) or `system:serviceaccounts:<namespace>` (error). A pod spec of any workload kind
#   whose `serviceAccountName` (or the deprecated `serviceAccount`) is absent, empty or `default`
#   shares that identity (warning).
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/security/rbac-good-practices/#least-privilege
#     description: Kubernetes RBAC good practices, least privilege (CIS 5.1.5)
#   - ref: https://docs.kubelinter.io/#/generated/checks?id=default-service-account
#     description: kube-linter default-service-account
#   - ref: https://github.com/bridgecrewio/checkov/blob/main/checkov/kubernetes/checks/resource/k8s/DefaultServiceAccountBinding.py
#     description: Checkov CKV_K8S_41/42 (default ServiceAccount)
# custom:
#   id: RBAC-010
#   name: default-service-account
#   kinds: [ClusterRoleBinding, RoleBinding, "@pods"]
#   severity: error
#   remediation: >-
#     Create a ServiceAccount per workload, set `serviceAccountName` to it, and bind roles to that
#     ServiceAccount only.
#   params: []
package kubegate.rbac.default_service_account

import rego.v1

import data.lib.k8s
import data.lib.rbac
import data.lib.rbac_ext

deny contains f if some f in errors(input)

warn contains f if some f in warnings(input)

errors(obj) := {f |
	some i
	obj.kind in rbac.binding_kinds
	rbac_ext.rbac_api(obj)
	subjects := object.get(obj, "subjects", [])
	is_array(subjects)
	s := subjects[i]
	what := _everyone_default(s)
	f := {
		"msg": concat("", [obj.kind, " '", k8s.name(obj), "' subject ", format_int(i, 10), " is ", what]),
		"path": ["subjects", i, "name"],
	}
}

_everyone_default(s) := "the default ServiceAccount (every pod that names no ServiceAccount)" if {
	s.kind == "ServiceAccount"
	s.name == "default"
}

_everyone_default(s) := "the group of all ServiceAccounts of the cluster" if {
	s.kind == "Group"
	s.name == "system:serviceaccounts"
}

_everyone_default(s) := "the group of all ServiceAccounts of a namespace, default included" if {
	s.kind == "Group"
	is_string(s.name)
	startswith(s.name, "system:serviceaccounts:")
}

warnings(obj) := {f |
	some ps in k8s.pod_specs(obj)
	_uses_default(ps.spec)
	f := {
		"msg": concat("", [obj.kind, " '", k8s.name(obj), "' runs its pods as the namespace's default ServiceAccount"]),
		"path": array.concat(ps.path, _sa_field(ps.spec)),
	}
}

# serviceAccountName wins; the deprecated serviceAccount is used only when it is empty.
_effective_sa(spec) := spec.serviceAccountName if _sa_named(spec, "serviceAccountName")

_effective_sa(spec) := spec.serviceAccount if {
	not _sa_named(spec, "serviceAccountName")
	_sa_named(spec, "serviceAccount")
}

_sa_named(spec, key) if {
	is_string(spec[key])
	spec[key] != ""
}

_uses_default(spec) if not _effective_sa(spec)

_uses_default(spec) if _effective_sa(spec) == "default"

# The path points at the field that decides, or at the pod spec when neither is set.
_sa_field(spec) := ["serviceAccountName"] if _sa_named(spec, "serviceAccountName")

_sa_field(spec) := ["serviceAccount"] if {
	not _sa_named(spec, "serviceAccountName")
	_sa_named(spec, "serviceAccount")
}

_sa_field(spec) := ["serviceAccountName"] if {
	not _sa_named(spec, "serviceAccount")
	_sa_has_key(spec, "serviceAccountName")
}

_sa_field(spec) := [] if {
	not _sa_named(spec, "serviceAccount")
	not _sa_has_key(spec, "serviceAccountName")
}

_sa_has_key(obj, key) if {
	some k in object.keys(obj)
	k == key
}
