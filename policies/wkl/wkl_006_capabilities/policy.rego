# METADATA
# title: Capabilities beyond the allowed set
# description: >-
#   A container, init container or ephemeral container adds a Linux capability outside the Pod
#   Security Standards baseline set (error; `ALL` included). Names are compared after upper-casing
#   and removing a `CAP_` prefix, as container runtimes do, so `cap_sys_admin` is `SYS_ADMIN`.
#   With the `restricted` profile (default), it also warns when `capabilities.drop` lacks `ALL` or
#   a baseline capability other than `NET_BIND_SERVICE` is added (pods declaring
#   `spec.os.name: windows` are exempt from these warnings, as in the restricted standard).
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/security/pod-security-standards/
#     description: Pod Security Standards, baseline and restricted Capabilities (CIS 5.2.8-5.2.10)
#   - ref: https://kyverno.io/policies/pod-security/baseline/disallow-capabilities/disallow-capabilities/
#     description: Kyverno disallow-capabilities
#   - ref: https://kyverno.io/policies/pod-security/restricted/disallow-capabilities-strict/disallow-capabilities-strict/
#     description: Kyverno disallow-capabilities-strict
# custom:
#   id: WKL-006
#   name: capabilities
#   kinds: ["@pods"]
#   severity: error
#   remediation: >-
#     Set `securityContext.capabilities.drop: ["ALL"]` and add back only `NET_BIND_SERVICE` when
#     the process binds a port below 1024.
#   params: [profile]
package kubegate.wkl.capabilities

import rego.v1

import data.lib.k8s
import data.lib.wkl_ext

id := "WKL-006"

deny contains f if some f in errors(input)

warn contains f if some f in warnings(input)

# Pod Security Standards, baseline: the only capabilities a container may add.
baseline_caps := {
	"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
	"NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
}

errors(obj) := {f |
	some x in _added(obj)
	not x.cap in baseline_caps
	f := {"msg": concat("", ["container '", x.name, "' adds a capability beyond the baseline set (add ", format_int(x.index, 10), ")"]), "path": x.path}
}

warnings(obj) := {f |
	k8s.param(id, "profile", "restricted") == "restricted"
	some x in _added(obj)
	not wkl_ext.windows_pod(x.pod)
	x.cap in baseline_caps
	x.cap != "NET_BIND_SERVICE"
	f := {"msg": concat("", ["container '", x.name, "' adds a capability other than NET_BIND_SERVICE (add ", format_int(x.index, 10), ")"]), "path": x.path}
} | {f |
	k8s.param(id, "profile", "restricted") == "restricted"
	some c in k8s.containers(obj)
	not wkl_ext.windows_pod(c.pod)
	caps := _caps(c)
	not "ALL" in _list(caps, "drop")
	f := {
		"msg": concat("", ["container '", k8s.container_name(c.container), "' does not drop ALL capabilities"]),
		"path": _drop_path(c, caps),
	}
}

# _added(obj): every capabilities.add entry as {name, cap (normalised), index, path, pod}.
# Messages name the index, not the capability: they never quote manifest values.
_added(obj) := [x |
	some k
	some c in k8s.containers(obj)
	add := _list(_caps(c), "add")
	name := add[k] # regopy 1.5.2 does not enumerate k inside a builtin call: bind first
	is_string(name)
	x := {
		"name": k8s.container_name(c.container),
		"cap": _normalise(name),
		"index": k,
		"path": array.concat(c.path, ["securityContext", "capabilities", "add", k]),
		"pod": c.pod,
	}
]

# Runtimes upper-case names and add the CAP_ prefix; compare in that canonical form without it.
_normalise(name) := trim_prefix(upper(trim_space(name)), "CAP_")

_caps(c) := caps if {
	sc := wkl_ext.security_context(c.container)
	caps := sc.capabilities
	is_object(caps)
} else := {}

_list(caps, key) := l if {
	l := caps[key]
	is_array(l)
} else := []

# Drop "ALL" is compared exactly, as the restricted standard does: admission rejects `all`.
_drop_path(c, caps) := array.concat(c.path, ["securityContext", "capabilities", "drop"]) if wkl_ext.sets(caps, "drop")

_drop_path(c, caps) := array.concat(c.path, ["securityContext", "capabilities"]) if {
	not wkl_ext.sets(caps, "drop")
	sc := wkl_ext.security_context(c.container)
	is_object(sc.capabilities)
}

_drop_path(c, caps) := wkl_ext.anchor(c) if {
	not wkl_ext.sets(caps, "drop")
	sc := wkl_ext.security_context(c.container)
	not is_object(sc.capabilities)
}
