# METADATA
# title: Seccomp unconfined or missing
# description: >-
#   Error: a pod or container securityContext sets `seccompProfile.type: Unconfined`, turning off
#   the system-call filter. Warning: a container, init container or ephemeral container has no
#   effective `RuntimeDefault` or `Localhost` seccomp profile (its own `seccompProfile` overrides
#   the pod's). Pods declaring `spec.os.name: windows` are skipped: the field does not exist on
#   Windows. The read-only root filesystem check, once part of this rule, is WKL-009.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/security/pod-security-standards/
#     description: Pod Security Standards, baseline and restricted Seccomp
#   - ref: https://kyverno.io/policies/pod-security/restricted/restrict-seccomp-strict/restrict-seccomp-strict/
#     description: Kyverno restrict-seccomp-strict
#   - ref: https://github.com/FairwindsOps/polaris/blob/master/checks/notReadOnlyRootFilesystem.yaml
#     description: Polaris notReadOnlyRootFilesystem
# custom:
#   id: WKL-007
#   name: seccomp-profile
#   kinds: ["@pods"]
#   severity: error
#   remediation: >-
#     Set `spec.securityContext.seccompProfile.type: RuntimeDefault` (or `Localhost` with a
#     profile), and never `Unconfined` on a container.
package kubegate.wkl.seccomp_read_only

import rego.v1

import data.lib.k8s
import data.lib.wkl_ext

deny contains f if some f in errors(input)

warn contains f if some f in warnings(input)

confined := {"RuntimeDefault", "Localhost"}

errors(obj) := {f |
	some ps in k8s.pod_specs(obj)
	not wkl_ext.windows_pod(ps.spec)
	_unconfined(wkl_ext.security_context(ps.spec))
	f := {"msg": "pod seccomp profile is Unconfined", "path": array.concat(ps.path, ["securityContext", "seccompProfile", "type"])}
} | {f |
	some c in k8s.containers(obj)
	not wkl_ext.windows_pod(c.pod)
	_unconfined(wkl_ext.security_context(c.container))
	f := {
		"msg": concat("", ["container '", k8s.container_name(c.container), "' seccomp profile is Unconfined"]),
		"path": array.concat(c.path, ["securityContext", "seccompProfile", "type"]),
	}
}

warnings(obj) := {f |
	some c in k8s.containers(obj)
	not wkl_ext.windows_pod(c.pod)
	path := _unfiltered(c)
	f := {"msg": concat("", ["container '", k8s.container_name(c.container), "' has no RuntimeDefault or Localhost seccomp profile"]), "path": path}
}

_unconfined(sc) if sc.seccompProfile.type == "Unconfined"

# _unfiltered(c): the path to report when the effective profile is neither confined nor
# Unconfined (Unconfined is already an error); undefined when the container is filtered.
_unfiltered(c) := wkl_ext.anchor(c) if not wkl_ext.effective(c, "seccompProfile")

_unfiltered(c) := path if {
	e := wkl_ext.effective(c, "seccompProfile")
	type := _type(e.value)
	not type in confined
	type != "Unconfined"
	path := _type_path(e, type)
}

_type(profile) := t if {
	t := profile.type
	is_string(t)
} else := ""

# Point at `type` when it is written, else at the seccompProfile mapping that lacks it.
_type_path(e, type) := array.concat(e.path, ["type"]) if type != ""

_type_path(e, type) := e.path if type == ""
