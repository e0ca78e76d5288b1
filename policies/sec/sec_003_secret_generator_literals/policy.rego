# METADATA
# title: kustomize secretGenerator with plain-text values
# description: >-
#   A kustomization.yaml (kind Kustomization or Component of `kustomize.config.k8s.io`; not Flux's
#   Kustomization) has a `secretGenerator` entry with `literals`: the secret value is written in the
#   kustomization itself and cannot be encrypted (error). Entries with `envs` (or the legacy `env`)
#   read a dotenv file that Flux decrypts when it is SOPS-encrypted; whether it is cannot be seen
#   from the kustomization, so these are warnings to verify. `files` entries are not checked here:
#   that needs the file's content, which policies cannot read.
# related_resources:
#   - ref: https://fluxcd.io/flux/components/kustomize/kustomizations/#kustomize-secretgenerator
#     description: Flux Kustomization, Kustomize secretGenerator with SOPS
#   - ref: https://kubectl.docs.kubernetes.io/references/kustomize/kustomization/secretgenerator/
#     description: kustomize secretGenerator
# custom:
#   id: SEC-003
#   name: secret-generator-literals
#   kinds: [Kustomization, Component]
#   severity: error
#   remediation: >-
#     Move the values into a dotenv file or files encrypted with `sops --encrypt` and reference them
#     from `envs`/`files` (Flux decrypts them with `spec.decryption.provider: sops`), or use a
#     SOPS-encrypted Secret manifest instead of a generator.
package kubegate.sec.secret_generator_literals

import rego.v1

import data.lib.k8s

deny contains f if some f in errors(input)

warn contains f if some f in warnings(input)

errors(obj) := {f |
	some j
	some g in _generators(obj)
	literals := object.get(g.gen, "literals", [])
	is_array(literals)
	_ = literals[j]
	f := {
		"msg": concat("", ["secretGenerator ", format_int(g.index, 10), " '", k8s.text(object.get(g.gen, "name", "")), "' literal ", format_int(j, 10), " holds a plain-text secret value"]),
		"path": ["secretGenerator", g.index, "literals", j],
	}
}

warnings(obj) := {f |
	some j
	some g in _generators(obj)
	envs := object.get(g.gen, "envs", [])
	is_array(envs)
	_ = envs[j]
	f := {"msg": _env_msg(g), "path": ["secretGenerator", g.index, "envs", j]}
} | {f |
	some g in _generators(obj)
	object.get(g.gen, "env", null) != null
	f := {"msg": _env_msg(g), "path": ["secretGenerator", g.index, "env"]}
}

_env_msg(g) := concat("", ["secretGenerator ", format_int(g.index, 10), " '", k8s.text(object.get(g.gen, "name", "")), "' reads a dotenv file: make sure it is SOPS-encrypted"])

# Kustomize's own kinds only: Flux's Kustomization (kustomize.toolkit.fluxcd.io) has no generators.
_generators(obj) := [g |
	some i
	startswith(k8s.text(obj.apiVersion), "kustomize.config.k8s.io/")
	obj.kind in {"Kustomization", "Component"}
	gens := object.get(obj, "secretGenerator", [])
	is_array(gens)
	gen := gens[i]
	is_object(gen)
	g := {"index": i, "gen": gen}
]
