# METADATA
# title: Secret value written into env or a ConfigMap
# description: >-
#   Error: a container, init container or ephemeral container env var with a literal `value`, a
#   ConfigMap `data` key, or a kustomize `configMapGenerator` literal whose name matches
#   `name_patterns` (matched against the lowercased name; default password, passwd, token, secret,
#   bearer, `_key$`; names ending `_FILE`, `_PATH` or `_DIR` hold a location, as in
#   `POSTGRES_PASSWORD_FILE`, and are not matched), or whose value contains a PEM `PRIVATE KEY-`
#   block. Values that are only
#   substitution references (`${VAR}` for Flux postBuild, `$(VAR)` for Kubernetes) are not
#   literals. Names SEC-006 already reports as cloud credentials are left to SEC-006. Warning: a
#   container reads a Secret through `env[].valueFrom.secretKeyRef` or `envFrom[].secretRef`;
#   environment variables leak into child processes, crash dumps and logs, files do not.
# related_resources:
#   - ref: https://github.com/FairwindsOps/polaris/blob/master/checks/sensitiveContainerEnvVar.yaml
#     description: Polaris sensitiveContainerEnvVar / sensitiveConfigmapContent
#   - ref: https://docs.kubelinter.io/#/generated/checks?id=env-var-secret
#     description: kube-linter env-var-secret
#   - ref: https://kyverno.io/policies/other/disallow-secrets-from-env-vars/disallow-secrets-from-env-vars/
#     description: Kyverno disallow-secrets-from-env-vars (CIS 5.4.1)
# custom:
#   id: SEC-005
#   name: sensitive-env
#   kinds: ["@pods", ConfigMap, Kustomization, Component]
#   severity: error
#   remediation: >-
#     Put the value in a SOPS-encrypted Secret and mount it as a file (`volumes[].secret`), reading
#     it from the path; tune which names count as sensitive with `policies.params.SEC-005.name_patterns`.
#   params: [name_patterns]
package kubegate.sec.sensitive_env

import rego.v1

import data.kubegate.sec.static_cloud_credentials as sec006
import data.lib.k8s

id := "SEC-005"

deny contains f if some f in errors(input)

warn contains f if some f in warnings(input)

default_patterns := ["password", "passwd", "token", "secret", "bearer", "_key$"]

errors(obj) := {f |
	some x in _literals(obj)
	_sensitive(x.name, x.value)
	not x.path in _sec006_paths(obj)
	f := {"msg": concat("", [x.where, " '", k8s.text(x.name), "' holds a literal secret value"]), "path": x.path}
}

warnings(obj) := {f |
	some j
	some c in k8s.containers(obj)
	env := _array(c.container, "env")
	ref := env[j].valueFrom.secretKeyRef
	is_object(ref)
	f := {
		"msg": concat("", ["container '", k8s.container_name(c.container), "' env ", format_int(j, 10), " reads a Secret into the environment; mount it as a file"]),
		"path": array.concat(c.path, ["env", j, "valueFrom", "secretKeyRef"]),
	}
} | {f |
	some j
	some c in k8s.containers(obj)
	env_from := _array(c.container, "envFrom")
	ref := env_from[j].secretRef
	is_object(ref)
	f := {
		"msg": concat("", ["container '", k8s.container_name(c.container), "' envFrom ", format_int(j, 10), " loads a whole Secret into the environment; mount it as a file"]),
		"path": array.concat(c.path, ["envFrom", j, "secretRef"]),
	}
}

# _literals(obj): every named literal value as {where, name, value, path}.
_literals(obj) := array.concat(array.concat(_env_literals(obj), _configmap_literals(obj)), _generator_literals(obj))

_env_literals(obj) := [x |
	some j
	some c in k8s.containers(obj)
	env := _array(c.container, "env")
	e := env[j]
	value := e.value
	x := {
		"where": concat("", ["container '", k8s.container_name(c.container), "' env"]),
		"name": object.get(e, "name", ""), "value": value,
		"path": array.concat(c.path, ["env", j, "value"]),
	}
]

_configmap_literals(obj) := [x |
	some key
	obj.kind == "ConfigMap"
	values := object.get(obj, "data", null)
	is_object(values)
	where := concat("", ["ConfigMap '", k8s.name(obj), "' key"])
	value := values[key]
	x := {"where": where, "name": key, "value": value, "path": ["data", key]}
]

# kustomize configMapGenerator literals ("NAME=value") end up in a ConfigMap too.
_generator_literals(obj) := [x |
	some i, j
	startswith(k8s.text(obj.apiVersion), "kustomize.config.k8s.io/")
	gens := _array(obj, "configMapGenerator")
	gen := gens[i] # regopy 1.5.2 does not enumerate i inside a call argument: bind first
	literals := _array(gen, "literals")
	literal := literals[j]
	is_string(literal)
	parts := split(literal, "=")
	count(parts) > 1
	x := {
		"where": concat("", ["configMapGenerator ", format_int(i, 10), " literal"]),
		"name": parts[0], "value": concat("=", array.slice(parts, 1, count(parts))),
		"path": ["configMapGenerator", i, "literals", j],
	}
]

_array(obj, key) := a if {
	a := obj[key]
	is_array(a)
} else := []

_sensitive(_, value) if {
	is_string(value)
	contains(value, "PRIVATE KEY-")
}

# The name first: most keys and variables are not sensitive, and that is one regex away.
_sensitive(name, value) if {
	is_string(name)
	lname := lower(name)
	_name_matches(lname)
	not regex.match(`_(file|path|dir)$`, lname)
	is_string(value)
	trim_space(value) != ""
	not _reference(value)
}

_name_patterns := k8s.param(id, "name_patterns", default_patterns)

# All patterns as one regex (each in its own group, so its anchors and flags stay its own), built
# once per query: a ConfigMap key is then matched once rather than once per pattern. Only when
# every pattern is valid on its own; otherwise the loop below reports the bad one as before.
_name_regex := concat("|", [concat("", ["(?:", p, ")"]) | some p in _name_patterns]) if {
	count(_name_patterns) > 0
	count([p | some p in _name_patterns; not regex.is_valid(p)]) == 0
}

_name_matches(lname) if regex.match(_name_regex, lname)

_name_matches(lname) if {
	not _name_regex
	some pattern in _name_patterns
	regex.match(pattern, lname)
}

# A value made only of `${VAR}` (Flux postBuild substitution, possibly from a Secret) or
# `$(VAR)` (Kubernetes dependent variable) references is filled in elsewhere.
_reference(value) if regex.match(`^\s*((\$\{[^}]*\})|(\$\([^)]*\))|\s)+\s*$`, value)

_sec006_paths(obj) := {f.path | some f in sec006.errors(obj)}
