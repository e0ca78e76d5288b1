# METADATA
# title: Metadata helpers (META-001..META-003)
# description: >-
#   Required metadata keys with value patterns (labels, annotations) on workloads and their pod
#   templates, and the nearest existing field to point at when a key is absent.
# scope: package
package lib.meta_ext

import rego.v1

import data.lib.k8s

workload_kinds := k8s.template_kinds | {"Pod", "CronJob"}

# metadata_paths(obj): where a workload's metadata lives: its own, and its pod template's (the pod
# template's labels are what the pods carry; they differ from the workload's).
metadata_paths(obj) := [["metadata"]] if obj.kind == "Pod"

metadata_paths(obj) := [["metadata"], array.concat(k8s.pod_template_path(obj), ["metadata"])] if {
	obj.kind in workload_kinds
	obj.kind != "Pod"
}

# nearest(obj, path): the longest prefix of path that exists in obj (a finding about an absent
# field points at its nearest existing parent).
nearest(obj, path) := array.slice(path, 0, n) if {
	n := max({i |
		some i in numbers.range(0, count(path))
		_exists(obj, array.slice(path, 0, i))
	})
}

_exists(obj, path) if object.get(obj, path, null) != null

# required_key_findings(obj, base, field, specs, noun): {"msg", "path"} for each entry {key,
# allowedRegex} of specs whose key is absent from obj[base][field] or whose value is not a string
# matching allowedRegex (absent or empty: any value). Messages name the configured key, never the
# manifest's value.
required_key_findings(obj, base, field, specs, noun) := {f |
	is_array(specs)
	some spec in specs
	is_object(spec)
	key := spec.key
	is_string(key)
	f := _key_finding(obj, array.concat(base, [field]), key, object.get(spec, "allowedRegex", ""), noun)
}

_key_finding(obj, at, key, _, noun) := {"msg": concat("", [noun, " lacks required ", at[count(at) - 1], " key '", key, "'"]), "path": nearest(obj, at)} if {
	not _has_key(object.get(obj, at, null), key)
}

_key_finding(obj, at, key, pattern, noun) := {"msg": concat("", [noun, " ", at[count(at) - 1], " key '", key, "' has a value that does not match the required pattern"]), "path": array.concat(at, [key])} if {
	value := object.get(obj, array.concat(at, [key]), null)
	value != null
	not _value_ok(value, pattern)
}

_has_key(m, key) if {
	is_object(m)
	m[key] != null
}

_value_ok(value, pattern) if {
	is_string(value)
	not _pattern_set(pattern)
}

_value_ok(value, pattern) if {
	is_string(value)
	_pattern_set(pattern)
	regex.is_valid(pattern)
	regex.match(pattern, value)
}

_pattern_set(pattern) if {
	is_string(pattern)
	pattern != ""
}
