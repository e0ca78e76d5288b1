# METADATA
# title: Privileged or host-process container
# description: >-
#   A container, init container or ephemeral container sets `securityContext.privileged: true`
#   or `securityContext.windowsOptions.hostProcess: true` (also at pod level): it has every
#   capability and full access to the node.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
#     description: Pod Security Standards, baseline (CIS 5.2.2, 5.2.11)
#   - ref: https://kyverno.io/policies/pod-security/baseline/disallow-privileged-containers/disallow-privileged-containers/
#     description: Kyverno disallow-privileged-containers
# custom:
#   id: WKL-001
#   name: privileged-container
#   kinds: ["@pods"]
#   severity: error
#   remediation: >-
#     Remove `privileged` and `hostProcess`; add only the specific capability needed. Images of
#     node agents that must be privileged go in `policies.params.WKL-001.exempt_images`.
#   params: [exempt_images]
package kubegate.wkl.privileged

import rego.v1

import data.lib.images
import data.lib.k8s

id := "WKL-001"

deny contains f if some f in errors(input)

errors(obj) := {f |
	some c in k8s.containers(obj)
	not _exempt(c.container)
	some key in ["privileged", "hostProcess"]
	sub := _sub[key]
	object.get(c.container, array.concat(["securityContext"], sub), false) == true
	f := {
		"msg": concat("", ["container '", k8s.container_name(c.container), "' runs ", _what[key]]),
		"path": array.concat(array.concat(c.path, ["securityContext"]), sub),
	}
} | {f |
	some ps in k8s.pod_specs(obj)
	object.get(ps.spec, ["securityContext", "windowsOptions", "hostProcess"], false) == true
	f := {
		"msg": "pod runs as a Windows host process",
		"path": array.concat(ps.path, ["securityContext", "windowsOptions", "hostProcess"]),
	}
}

_sub := {"privileged": ["privileged"], "hostProcess": ["windowsOptions", "hostProcess"]}

_what := {"privileged": "privileged", "hostProcess": "as a Windows host process"}

_exempt(c) if images.matches_any(images.parse(c.image), k8s.param(id, "exempt_images", []))
