# METADATA
# title: Role grants node proxy, token minting, CSR approval or admission webhooks
# description: >-
#   Errors for grants that reach around RBAC: any verb on `nodes/proxy` (the kubelet API: exec
#   into every pod of the node, unaudited by the API server); `create` on `serviceaccounts/token`
#   (mint tokens for any ServiceAccount of the scope); `update`/`patch` on
#   `certificatesigningrequests/approval` or `approve` on `signers` (issue client certificates,
#   e.g. for `system:masters`); `create`, `update` or `patch` on validating or mutating webhook
#   configurations (read or rewrite every object the API server admits). `create` on
#   `persistentvolumes` is a warning (a hostPath PersistentVolume reaches the node's disk).
#   Wildcard verbs, resources (`*`, `*/proxy`) and apiGroups count.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/security/rbac-good-practices/#kubernetes-privilege-escalation-risks
#     description: Kubernetes RBAC good practices, privilege escalation risks (CIS 5.1.9-5.1.13)
#   - ref: https://kyverno.io/policies/other/restrict-clusterrole-nodesproxy/restrict-clusterrole-nodesproxy/
#     description: Kyverno restrict-clusterrole-nodesproxy
#   - ref: https://github.com/bridgecrewio/checkov/blob/main/checkov/kubernetes/checks/resource/k8s/RbacApproveCertificateSigningRequests.py
#     description: Checkov CKV_K8S_155/156 (CSR approval, webhook configurations)
# custom:
#   id: RBAC-007
#   name: node-proxy-and-cluster-hooks
#   kinds: [Role, ClusterRole]
#   severity: error
#   remediation: >-
#     Remove the grant: monitoring agents should read kubelet metrics through `nodes/metrics` or
#     `nodes/stats`, workloads should use projected tokens, and admission webhooks, CSR approvers
#     and storage provisioners belong to platform controllers. Their roles go in
#     `policies.params.RBAC-007.allowed_roles`.
#   params: [allowed_roles]
package kubegate.rbac.node_proxy_and_cluster_hooks

import rego.v1

import data.lib.k8s
import data.lib.rbac
import data.lib.rbac_ext

id := "RBAC-007"

deny contains f if some f in errors(input)

warn contains f if some f in warnings(input)

errors(obj) := _grant_findings(obj, _critical, _critical_resources)

warnings(obj) := _grant_findings(obj, _risky, _risky_resources)

# The verb set {"*"} stands for "any verb": a rule listing any verb at all matches it below.
_critical := {
	"access to nodes/proxy (the kubelet API)": {"groups": {""}, "resources": {"nodes/proxy"}, "verbs": {"*"}},
	"create on serviceaccounts/token": {"groups": {""}, "resources": {"serviceaccounts/token"}, "verbs": {"create"}},
	"CertificateSigningRequest approval": {
		"groups": {"certificates.k8s.io"},
		"resources": {"certificatesigningrequests/approval"},
		"verbs": {"update", "patch"},
	},
	"approve on signers": {"groups": {"certificates.k8s.io"}, "resources": {"signers"}, "verbs": {"approve"}},
	"write access to admission webhook configurations": {
		"groups": {"admissionregistration.k8s.io"},
		"resources": {"validatingwebhookconfigurations", "mutatingwebhookconfigurations"},
		"verbs": {"create", "update", "patch"},
	},
}

_risky := {"create on persistentvolumes": {"groups": {""}, "resources": {"persistentvolumes"}, "verbs": {"create"}}}

# One finding per PolicyRule, naming everything it grants.
# Every resource a grant set names: a PolicyRule that matches none of them matches no grant of the
# set, and most rules of a fleet are dismissed by this one test.
_critical_resources := {r | some g in _critical; some r in g.resources}

_risky_resources := {r | some g in _risky; some r in g.resources}

_grant_findings(obj, grants, resources) := {f |
	rbac_ext.rbac_api(obj)
	not k8s.name(obj) in k8s.param(id, "allowed_roles", [])
	some x in rbac.rules(obj)
	rbac.resources_match(rbac.field(x.rule, "resources"), resources)
	n := rbac.normalized(x.rule)
	whats := [what |
		some what
		g := grants[what]
		rbac.resources_match(n.resources, g.resources)
		rbac.any_in_or_star(n.apiGroups, g.groups)
		_verbs_match(n, g.verbs)
	]
	count(whats) > 0
	f := {
		"msg": concat("", [obj.kind, " '", k8s.name(obj), "' rule ", format_int(x.path[1], 10), " grants ", concat("; ", sort(whats))]),
		"path": x.path,
	}
}

_verbs_match(n, verbs) if {
	"*" in verbs
	count(n.verbs) > 0
}

_verbs_match(n, verbs) if rbac.any_in_or_star(n.verbs, verbs)
