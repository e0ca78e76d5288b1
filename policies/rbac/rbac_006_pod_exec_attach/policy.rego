# METADATA
# title: Role can exec into or create pods
# description: >-
#   A rule grants `pods/exec` or `pods/attach` with `create` or `get` (kubectl opened exec and
#   attach streams with GET before 1.30, so `get` is enough), or `update`/`patch` on
#   `pods/ephemeralcontainers` (attach a debug container to a running pod): a shell inside any
#   pod of the scope, with its ServiceAccount token and mounted Secrets (error). `create` on pods,
#   or on workload kinds that create pods (Deployments, StatefulSets, DaemonSets, ReplicaSets,
#   ReplicationControllers, Jobs, CronJobs), lets the holder run any image as any ServiceAccount
#   of the namespace (warning). Wildcard verbs, resources (`*`, `*/exec`) and apiGroups count;
#   `resourceNames` cannot narrow `create`.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/security/rbac-good-practices/#workload-creation
#     description: Kubernetes RBAC good practices, workload creation (CIS 5.1.4)
#   - ref: https://github.com/FairwindsOps/polaris/blob/master/pkg/config/checks/clusterrolePodExecAttach.yaml
#     description: Polaris clusterrolePodExecAttach (exec via get)
#   - ref: https://docs.kubelinter.io/#/generated/checks?id=access-to-create-pods
#     description: kube-linter access-to-create-pods
# custom:
#   id: RBAC-006
#   name: pod-exec-attach
#   kinds: [Role, ClusterRole]
#   severity: error
#   remediation: >-
#     Remove exec, attach and ephemeral-container access; debug through logs, or grant it
#     just-in-time to a break-glass group. Let a GitOps reconciler, not people, create workloads.
#     Roles that must keep this access go in `policies.params.RBAC-006.allowed_roles`.
#   params: [allowed_roles]
package kubegate.rbac.pod_exec_attach

import rego.v1

import data.lib.k8s
import data.lib.rbac
import data.lib.rbac_ext

id := "RBAC-006"

deny contains f if some f in errors(input)

warn contains f if some f in warnings(input)

errors(obj) := _grant_findings(obj, _interactive, _interactive_resources)

warnings(obj) := _grant_findings(obj, _workload_creation, _workload_creation_resources)

# A shell in a running pod: exec/attach (GET was enough for kubectl before 1.30's websockets
# switch and still is for websocket clients) or an ephemeral debug container.
_interactive := {
	"exec or attach into pods": {"groups": {""}, "resources": {"pods/exec", "pods/attach"}, "verbs": {"create", "get"}},
	"ephemeral debug containers in pods": {"groups": {""}, "resources": {"pods/ephemeralcontainers"}, "verbs": {"update", "patch"}},
}

_workload_creation := {
	"create on pods": {"groups": {""}, "resources": {"pods", "replicationcontrollers"}, "verbs": {"create"}},
	"create on apps workloads": {
		"groups": {"apps"},
		"resources": {"deployments", "statefulsets", "daemonsets", "replicasets"},
		"verbs": {"create"},
	},
	"create on Jobs or CronJobs": {"groups": {"batch"}, "resources": {"jobs", "cronjobs"}, "verbs": {"create"}},
}

# One finding per PolicyRule, naming everything it grants (a `*` rule would otherwise repeat).
# Every resource a grant set names: a PolicyRule that matches none of them matches no grant of the
# set (resources_match holds for a union when it holds for a part), and most rules of a fleet are
# dismissed by this one test.
_interactive_resources := {r | some g in _interactive; some r in g.resources}

_workload_creation_resources := {r | some g in _workload_creation; some r in g.resources}

_grant_findings(obj, grants, resources) := {f |
	rbac_ext.rbac_api(obj)
	not k8s.name(obj) in k8s.param(id, "allowed_roles", [])
	some x in rbac.rules(obj)
	rbac.resources_match(rbac.field(x.rule, "resources"), resources)
	n := rbac.normalized(x.rule)
	whats := [what |
		some what
		g := grants[what]
		rbac.grants_normalized(n, g.groups, g.resources, g.verbs)
	]
	count(whats) > 0
	f := {
		"msg": concat("", [obj.kind, " '", k8s.name(obj), "' rule ", format_int(x.path[1], 10), " grants ", concat("; ", sort(whats))]),
		"path": x.path,
	}
}
