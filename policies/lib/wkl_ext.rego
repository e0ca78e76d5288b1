# METADATA
# title: Workload security-context helpers
# description: >-
#   The effective value of a securityContext field for a container (the container's own setting
#   overrides the pod's, as the kubelet applies them), with the path of the field that decides it,
#   and the nearest existing field to point at when neither sets it.
# scope: package
package lib.wkl_ext

import rego.v1

# security_context(x): x.securityContext when it is a mapping, else {} (a null or malformed
# securityContext sets nothing).
security_context(x) := s if {
	s := x.securityContext
	is_object(s)
} else := {}

# sets(obj, key): obj sets key to a non-null value. A YAML `key:` with no value arrives as null,
# which the API server treats as unset, so the pod-level value still applies.
sets(obj, key) if obj[key] != null

# effective(c, key): {"value", "path"} of securityContext[key] for the container entry c (from
# k8s.containers): the container's own field when set, else the pod's. Undefined when neither sets it.
# (Each call result is bound before it is indexed: regorus evaluates `f(x)[key]` several times
# slower than `s := f(x)` then `s[key]`.)
effective(c, key) := {"value": v, "path": array.concat(c.path, ["securityContext", key])} if {
	own := security_context(c.container)
	v := own[key]
	v != null
} else := {"value": v, "path": array.concat(c.pod_path, ["securityContext", key])} if {
	pod := security_context(c.pod)
	v := pod[key]
	v != null
}

# anchor(c): where a finding about an absent container-level field points: the container's
# securityContext when it exists, else the container itself.
anchor(c) := array.concat(c.path, ["securityContext"]) if is_object(c.container.securityContext)

anchor(c) := c.path if not is_object(c.container.securityContext)

# windows_pod(spec): the pod declares a Windows OS. The API server forbids Linux-only fields
# (seccompProfile, capabilities, allowPrivilegeEscalation, readOnlyRootFilesystem...) on such pods,
# and Pod Security Standards exempt them, so requiring those fields would be unsatisfiable.
windows_pod(spec) if spec.os.name == "windows"
