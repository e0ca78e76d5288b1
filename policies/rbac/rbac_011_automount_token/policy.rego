# METADATA
# title: ServiceAccount token is mounted automatically
# description: >-
#   A ServiceAccount whose `automountServiceAccountToken` is not `false` (absent means true) gives
#   every pod that uses it an API token, whether the pod needs one or not; a pod spec of any
#   workload kind that sets `automountServiceAccountToken: true` gets the token even when its
#   ServiceAccount says `false`, because the pod's setting wins. Only the boolean `false` turns
#   it off. ServiceAccounts and pods in platform namespaces (default `flux-system`, whose
#   controllers talk to the API) are not reported.
# related_resources:
#   - ref: https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/#opt-out-of-api-credential-automounting
#     description: Kubernetes, opt out of API credential automounting (CIS 5.1.6)
#   - ref: https://kyverno.io/policies/other/restrict-sa-automount-sa-token/restrict-sa-automount-sa-token/
#     description: Kyverno restrict-sa-automount-sa-token
#   - ref: https://github.com/FairwindsOps/polaris/blob/master/pkg/config/checks/automountServiceAccountToken.yaml
#     description: Polaris automountServiceAccountToken
# custom:
#   id: RBAC-011
#   name: automount-token
#   kinds: [ServiceAccount, "@pods"]
#   severity: warning
#   remediation: >-
#     Set `automountServiceAccountToken: false` on the ServiceAccount, and leave it unset or
#     `false` in pod specs; a workload that calls the API mounts a projected token volume with a
#     short expiry and its own audience, or sets `true` on its own pod spec only.
#   params: [platform_namespaces]
package kubegate.rbac.automount_token

import rego.v1

import data.lib.k8s
import data.lib.rbac_ext

id := "RBAC-011"

warn contains f if some f in warnings(input)

warnings(obj) := _automount_sa(obj) | _automount_pods(obj)

_automount_sa(obj) := {f |
	obj.kind == "ServiceAccount"
	rbac_ext.core_api(obj)
	_reported_namespace(obj)
	not k8s.is_false(obj, "automountServiceAccountToken")
	f := {
		"msg": concat("", ["ServiceAccount '", k8s.name(obj), "' does not set automountServiceAccountToken to false: its pods get an API token by default"]),
		"path": _automount_path(obj),
	}
}

# An absent field points at the document itself, its nearest existing parent.
_automount_path(obj) := ["automountServiceAccountToken"] if _automount_set(obj)

_automount_path(obj) := [] if not _automount_set(obj)

_automount_set(obj) if {
	some k in object.keys(obj)
	k == "automountServiceAccountToken"
}

_automount_pods(obj) := {f |
	_reported_namespace(obj)
	some ps in k8s.pod_specs(obj)
	k8s.has_true(ps.spec, "automountServiceAccountToken")
	f := {
		"msg": concat("", [obj.kind, " '", k8s.name(obj), "' mounts an API token into its pods (automountServiceAccountToken: true overrides the ServiceAccount)"]),
		"path": array.concat(ps.path, ["automountServiceAccountToken"]),
	}
}

_reported_namespace(obj) if not k8s.namespace(obj) in k8s.param(id, "platform_namespaces", ["flux-system"])
