# METADATA
# title: Root filesystem writable
# description: >-
#   A container, init container or ephemeral container does not set
#   `securityContext.readOnlyRootFilesystem: true`, so a compromised process can rewrite its own
#   binaries and drop tools into the image. There is no pod-level field. Pods declaring
#   `spec.os.name: windows` are skipped: the field does not exist on Windows. A warning: many
#   images write to their root filesystem, and fixing it takes an emptyDir per path written.
# related_resources:
#   - ref: https://github.com/FairwindsOps/polaris/blob/master/checks/notReadOnlyRootFilesystem.yaml
#     description: Polaris notReadOnlyRootFilesystem
#   - ref: https://kubernetes.io/docs/tasks/configure-pod-container/security-context/
#     description: Kubernetes security context
# custom:
#   id: WKL-009
#   name: read-only-root-filesystem
#   kinds: ["@pods"]
#   severity: warning
#   remediation: >-
#     Set `securityContext.readOnlyRootFilesystem: true` on every container and mount an emptyDir
#     where the process writes (/tmp, caches).
package kubegate.wkl.read_only_root_filesystem

import rego.v1

import data.lib.k8s
import data.lib.wkl_ext

warn contains f if some f in warnings(input)

warnings(obj) := {f |
	some c in k8s.containers(obj)
	not wkl_ext.windows_pod(c.pod)
	sc := wkl_ext.security_context(c.container)
	not k8s.has_true(sc, "readOnlyRootFilesystem")
	f := {
		"msg": concat("", ["container '", k8s.container_name(c.container), "' does not set readOnlyRootFilesystem to true"]),
		"path": _rofs_path(c, sc),
	}
}

_rofs_path(c, sc) := array.concat(c.path, ["securityContext", "readOnlyRootFilesystem"]) if wkl_ext.sets(sc, "readOnlyRootFilesystem")

_rofs_path(c, sc) := wkl_ext.anchor(c) if not wkl_ext.sets(sc, "readOnlyRootFilesystem")
