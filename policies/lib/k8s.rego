# METADATA
# title: Kubernetes object helpers
# description: >-
#   Pod specs and containers of every workload kind, each with the path of the field inside
#   the manifest so findings land on the offending line.
# scope: package
package lib.k8s

import rego.v1

# Kinds whose pod template lives at .spec.template.
template_kinds := {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job"}

container_fields := ["initContainers", "containers", "ephemeralContainers"]

# pod_spec_path(obj) is the path of the pod spec inside obj; undefined for kinds without one.
# A table, not one function body per kind: every workload rule calls this, and an embedded engine
# evaluates every body of a multi-body function on each call.
pod_spec_path(obj) := pod_spec_paths[obj.kind]

pod_spec_paths := object.union({k: ["spec", "template", "spec"] | some k in template_kinds}, {
	"Pod": ["spec"],
	"CronJob": ["spec", "jobTemplate", "spec", "template", "spec"],
	"PodTemplate": ["template", "spec"],
})

# pod_template_path(obj) is the path of the pod template (its metadata carries pod labels).
pod_template_path(obj) := array.slice(p, 0, count(p) - 1) if {
	obj.kind != "Pod"
	p := pod_spec_paths[obj.kind]
}

# pod_specs(obj): [{"path", "spec"}], empty when obj has no pod spec or it is not a mapping.
pod_specs(obj) := [x |
	path := pod_spec_paths[obj.kind]
	spec := object.get(obj, path, null)
	is_object(spec)
	x := {"path": path, "spec": spec}
]

# containers(obj): [{"path", "container", "field", "pod_path", "pod"}] for containers,
# initContainers and ephemeralContainers of every pod spec in obj. (Inlined rather than built on
# pod_specs: about a dozen rules call it for every workload.)
containers(obj) := [x |
	some i
	path := pod_spec_paths[obj.kind]
	spec := object.get(obj, path, null)
	is_object(spec)
	some field in container_fields
	list := spec[field]
	is_array(list)

	# `some i, c in list` inside a comprehension does not parse in regopy 1.5.2; `some i` is
	# declared first (regorus: see policies/README.md, "Engine notes").
	c := list[i]
	is_object(c)
	x := {
		"path": array.concat(path, [field, i]),
		"container": c,
		"field": field,
		"pod_path": path,
		"pod": spec,
	}
]

# name(obj) / namespace(obj): metadata fields or "" when absent or not strings.
name(obj) := n if {
	n := obj.metadata.name
	is_string(n)
} else := ""

namespace(obj) := n if {
	n := obj.metadata.namespace
	is_string(n)
} else := ""

# has_true(obj, key): the field is the boolean true (a YAML 1.1 `yes` arrives as true too).
has_true(obj, key) if obj[key] == true

# is_false(obj, key): the field is present and the boolean false; `not obj.f` cannot tell
# false from absent.
is_false(obj, key) if obj[key] == false

# param(id, key, default): data.params[id][key] with a default, the only way rules read params.
# (Reading all of `data` would recurse into the policies themselves: read `data.params` only.)
param(id, key, def) := object.get(_params, [id, key], def)

_params := p if {
	p := data.params
	is_object(p)
} else := {}

# resources: every resource of the run (data.kubegate.resources), [] when not provided.
resources := r if {
	r := data.kubegate.resources
	is_array(r)
} else := []

# resources_named(kind, n): the run's resources of that kind and metadata.name. O(1) through
# data.kubegate.resource_index ("Kind/name" -> indexes into resources) when kubegate gives it:
# scanning every resource for every document made cross-resource rules quadratic in the fleet.
resources_named(kind, n) := rs if {
	index := data.kubegate.resource_index
	is_object(index)
	rs := [r |
		some i in object.get(index, concat("/", [text(kind), text(n)]), [])
		r := resources[i]
	]
} else := [r |
	some r in resources
	is_object(r)
	r.kind == kind
	name(r) == n
]

# text(x): x when it is a string, else "". Messages are built with concat, which needs strings
# (a malformed manifest must not turn into an engine error), and never with sprintf (see README).
text(x) := x if is_string(x)

text(x) := "" if not is_string(x)

# container_name(c): the container's name, or "" when absent or not a string.
container_name(c) := text(object.get(c, "name", ""))

# --- tenancy profile (docs/policies.md, "Tenancy profiles") ----------------------------------------

# The run's `tenancy` configuration as data.kubegate.tenancy: {"mode": "single" | "multi",
# "tenants": [namespace, ...]}. Without it (a policy unit test, a custom caller) every rule is on.
default tenancy := {"mode": "multi", "tenants": []}

tenancy := t if {
	t := data.kubegate.tenancy
	is_object(t)
}

# multi_tenant: the configuration declares tenants (`tenancy: multi` or a list of namespaces), so
# multi-tenancy lockdown rules apply.
multi_tenant if tenancy.mode == "multi"

# tenant_namespace(ns): lockdown applies to objects of namespace ns: every namespace with
# `tenancy: multi`, only the listed ones with `tenancy: {tenants: [...]}`.
tenant_namespace(ns) if {
	multi_tenant
	tenants := object.get(tenancy, "tenants", [])
	is_array(tenants)
	count(tenants) == 0
}

tenant_namespace(ns) if {
	multi_tenant
	tenants := object.get(tenancy, "tenants", [])
	is_array(tenants)
	ns in tenants
}
