# METADATA
# title: Pod shares host namespaces or ports
# description: >-
#   A pod sets `hostNetwork`, `hostPID` or `hostIPC` to true (error: it sees the node's network,
#   processes or IPC), or a container port sets `hostPort` (warning: it binds a port on the node and
#   pins scheduling), unless the port is in `allowed_host_ports`.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
#     description: Pod Security Standards, baseline (CIS 5.2.3-5.2.5, 5.2.13)
#   - ref: https://kyverno.io/policies/pod-security/baseline/disallow-host-namespaces/disallow-host-namespaces/
#     description: Kyverno disallow-host-namespaces
# custom:
#   id: WKL-002
#   name: host-namespaces
#   kinds: ["@pods"]
#   severity: error
#   remediation: >-
#     Remove hostNetwork/hostPID/hostIPC; expose ports with a Service instead of hostPort.
#   params: [allowed_host_ports]
package kubegate.wkl.host_namespaces

import rego.v1

import data.lib.k8s

id := "WKL-002"

deny contains f if some f in errors(input)

warn contains f if some f in warnings(input)

errors(obj) := {f |
	some ps in k8s.pod_specs(obj)
	some key in ["hostNetwork", "hostPID", "hostIPC"]
	k8s.has_true(ps.spec, key)
	f := {"msg": concat("", [obj.kind, " '", k8s.name(obj), "' sets ", key]), "path": array.concat(ps.path, [key])}
}

warnings(obj) := {f |
	some j
	some c in k8s.containers(obj)
	ports := object.get(c.container, "ports", [])
	is_array(ports)
	port := ports[j]
	is_object(port)
	is_number(object.get(port, "hostPort", null))
	port.hostPort != 0
	not port.hostPort in k8s.param(id, "allowed_host_ports", [])
	f := {
		"msg": concat("", ["container '", k8s.container_name(c.container), "' port ", format_int(j, 10), " binds a host port"]),
		"path": array.concat(c.path, ["ports", j, "hostPort"]),
	}
}
