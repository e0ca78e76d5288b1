# METADATA
# title: hostPath volume
# description: >-
#   A pod spec mounts a `hostPath` volume, or a PersistentVolume is backed by `hostPath`: the
#   workload reads (and usually writes) the node's filesystem, the classic route to the kubelet's
#   credentials, the container runtime socket and other tenants' data. Paths under an allowed
#   prefix are accepted; prefixes match whole path segments (`/var/log` allows `/var/log/app`,
#   not `/var/logs`) and a path with a `..` segment never matches.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
#     description: Pod Security Standards, baseline (HostPath Volumes; CIS 5.2.12)
#   - ref: https://kyverno.io/policies/pod-security/baseline/disallow-host-path/disallow-host-path/
#     description: Kyverno disallow-host-path
# custom:
#   id: WKL-003
#   name: host-path-volume
#   kinds: ["@pods", PersistentVolume]
#   severity: error
#   remediation: >-
#     Use an emptyDir, a ConfigMap/Secret/projected volume or a PersistentVolumeClaim. Node agents
#     that must read a host directory list its prefix in `policies.params.WKL-003.allowed_host_paths`.
#   params: [allowed_host_paths]
package kubegate.wkl.host_path

import rego.v1

import data.lib.k8s

id := "WKL-003"

deny contains f if some f in errors(input)

errors(obj) := {f |
	some i
	some ps in k8s.pod_specs(obj)
	volumes := object.get(ps.spec, "volumes", [])
	is_array(volumes)
	v := volumes[i]
	is_object(v)
	_denied_host_path(object.get(v, "hostPath", null))
	f := {
		"msg": concat("", ["volume ", format_int(i, 10), " '", k8s.text(object.get(v, "name", "")), "' mounts a host path"]),
		"path": array.concat(ps.path, ["volumes", i, "hostPath"]),
	}
} | {f |
	obj.kind == "PersistentVolume"
	_denied_host_path(object.get(obj, ["spec", "hostPath"], null))
	f := {"msg": concat("", ["PersistentVolume '", k8s.name(obj), "' is backed by a host path"]), "path": ["spec", "hostPath"]}
}

# A hostPath that is present in any shape (even malformed) is denied unless its path is allowed.
_denied_host_path(hp) if {
	hp != null
	not _allowed(_host_path_of(hp))
}

_host_path_of(hp) := object.get(hp, "path", null) if is_object(hp)

_host_path_of(hp) := null if not is_object(hp)

_allowed(path) if {
	is_string(path)
	segments := _segments(path)
	not ".." in segments
	some prefix in k8s.param(id, "allowed_host_paths", [])
	_prefix_of(_segments(prefix), segments)
}

# _segments("/var//log/") == ["var", "log"]: empty segments (doubled or trailing `/`) carry no
# meaning for the kernel, so they must not decide a match either.
_segments(path) := [s | some s in split(path, "/"); s != ""] if is_string(path)

_prefix_of(prefix, segments) if {
	count(prefix) > 0
	count(prefix) <= count(segments)
	array.slice(segments, 0, count(prefix)) == prefix
}
