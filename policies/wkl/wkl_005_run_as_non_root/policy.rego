# METADATA
# title: Container may run as root
# description: >-
#   The effective `runAsNonRoot` of a container, init container or ephemeral container is not
#   true, or its effective `runAsUser` is 0. Effective means the container's own securityContext
#   field when set, else the pod's `spec.securityContext` field (a null counts as unset). An
#   explicit `runAsNonRoot: false` on a container overrides a pod-level true.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
#     description: Pod Security Standards, restricted (Running as Non-root; CIS 5.2.7)
#   - ref: https://kyverno.io/policies/pod-security/restricted/require-run-as-nonroot/require-run-as-nonroot/
#     description: Kyverno require-run-as-nonroot
#   - ref: https://kyverno.io/policies/pod-security/restricted/require-run-as-non-root-user/require-run-as-non-root-user/
#     description: Kyverno require-run-as-non-root-user
# custom:
#   id: WKL-005
#   name: run-as-root
#   kinds: ["@pods"]
#   severity: error
#   remediation: >-
#     Set `spec.securityContext.runAsNonRoot: true` and a non-zero `runAsUser` (e.g. 10001) on the
#     pod, and remove container-level overrides that set `runAsNonRoot: false` or `runAsUser: 0`.
package kubegate.wkl.run_as_non_root

import rego.v1

import data.lib.k8s
import data.lib.wkl_ext

deny contains f if some f in errors(input)

errors(obj) := {f |
	some c in k8s.containers(obj)
	some problem in _problems(c)
	f := {"msg": concat("", ["container '", k8s.container_name(c.container), "' ", problem.what]), "path": problem.path}
}

_problems(c) := {p | p := _non_root(c)} | {p | p := _root_user(c)}

_non_root(c) := {"what": "does not set runAsNonRoot (container or pod)", "path": wkl_ext.anchor(c)} if {
	not wkl_ext.effective(c, "runAsNonRoot")
}

_non_root(c) := {"what": "does not set runAsNonRoot to true", "path": e.path} if {
	e := wkl_ext.effective(c, "runAsNonRoot")
	e.value != true
}

_root_user(c) := {"what": "runs as user 0 (root)", "path": e.path} if {
	e := wkl_ext.effective(c, "runAsUser")
	is_number(e.value)
	e.value == 0
}
