# METADATA
# title: Privilege escalation not disabled
# description: >-
#   A container, init container or ephemeral container does not set
#   `securityContext.allowPrivilegeEscalation: false`. When the field is absent the kernel's
#   `no_new_privs` flag stays off and a setuid binary in the image can gain privileges, so only an
#   explicit `false` passes (a null value counts as absent). Pods declaring `spec.os.name: windows`
#   are skipped: the API server forbids the field there.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
#     description: Pod Security Standards, restricted (Privilege Escalation; CIS 5.2.6)
#   - ref: https://kyverno.io/policies/pod-security/restricted/disallow-privilege-escalation/disallow-privilege-escalation/
#     description: Kyverno disallow-privilege-escalation
# custom:
#   id: WKL-004
#   name: privilege-escalation
#   kinds: ["@pods"]
#   severity: error
#   remediation: >-
#     Set `securityContext.allowPrivilegeEscalation: false` on every container, init container and
#     ephemeral container (there is no pod-level field).
package kubegate.wkl.privilege_escalation

import rego.v1

import data.lib.k8s
import data.lib.wkl_ext

deny contains f if some f in errors(input)

errors(obj) := {f |
	some c in k8s.containers(obj)
	not wkl_ext.windows_pod(c.pod)
	sc := wkl_ext.security_context(c.container)
	not k8s.is_false(sc, "allowPrivilegeEscalation")
	f := {
		"msg": concat("", ["container '", k8s.container_name(c.container), "' does not set allowPrivilegeEscalation to false"]),
		"path": _ape_path(c, sc),
	}
}

_ape_path(c, sc) := array.concat(c.path, ["securityContext", "allowPrivilegeEscalation"]) if wkl_ext.sets(sc, "allowPrivilegeEscalation")

_ape_path(c, sc) := wkl_ext.anchor(c) if not wkl_ext.sets(sc, "allowPrivilegeEscalation")
