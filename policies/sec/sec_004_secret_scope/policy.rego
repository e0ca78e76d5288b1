# METADATA
# title: Secret source shared beyond its namespace
# description: >-
#   A SealedSecret is sealed with the `cluster-wide` or `namespace-wide` scope
#   (`sealedsecrets.bitnami.com/cluster-wide: "true"` / `namespace-wide: "true"` on the SealedSecret
#   or its template): its ciphertext can be copied and unsealed under another name or namespace.
#   Or an ExternalSecret / ClusterExternalSecret reads from a ClusterSecretStore not in
#   `allowed_cluster_stores` (the store-wide `spec.secretStoreRef` and per-entry
#   `data[].sourceRef.storeRef` / `dataFrom[].sourceRef.storeRef`): a cluster store serves every
#   namespace its conditions admit, so a tenant can read another team's secrets through it (with
#   tenants declared only: `tenancy`, docs/policies.md).
# related_resources:
#   - ref: https://github.com/bitnami-labs/sealed-secrets#scopes
#     description: Sealed Secrets scopes (release v0.6.0)
#   - ref: https://external-secrets.io/latest/api/clustersecretstore/
#     description: External Secrets, ClusterSecretStore
# custom:
#   id: SEC-004
#   name: secret-scope
#   kinds: [SealedSecret, ExternalSecret, ClusterExternalSecret]
#   severity: warning
#   remediation: >-
#     Reseal with the default `strict` scope (`kubeseal --scope strict`); read tenant secrets through
#     a namespaced SecretStore, or list reviewed cluster stores in
#     `policies.params.SEC-004.allowed_cluster_stores`.
#   params: [allowed_cluster_stores]
package kubegate.sec.secret_scope

import rego.v1

import data.lib.k8s

id := "SEC-004"

warn contains f if some f in warnings(input)

scope_annotations := ["sealedsecrets.bitnami.com/cluster-wide", "sealedsecrets.bitnami.com/namespace-wide"]

warnings(obj) := {f |
	obj.kind == "SealedSecret"
	some base in [["metadata"], ["spec", "template", "metadata"]]
	some key in scope_annotations
	_true(object.get(obj, array.concat(base, ["annotations", key]), null))
	f := {
		"msg": concat("", ["SealedSecret '", k8s.name(obj), "' is sealed with a ", _scope(key), " scope"]),
		"path": array.concat(base, ["annotations", key]),
	}
} | {f |
	k8s.multi_tenant # one team's fleet shares its cluster store by design
	some ref in _store_refs(obj)
	object.get(ref.ref, "kind", "SecretStore") == "ClusterSecretStore"
	not object.get(ref.ref, "name", null) in k8s.param(id, "allowed_cluster_stores", [])
	f := {
		"msg": concat("", [obj.kind, " '", k8s.name(obj), "' reads from a ClusterSecretStore not in allowed_cluster_stores"]),
		"path": _ref_path(ref),
	}
}

_scope(key) := trim_prefix(key, "sealedsecrets.bitnami.com/")

# The controller compares the annotation with the string "true"; a YAML boolean is kept as a
# mistake the schema check reports, but still counts here.
_true(v) if v == "true"

_true(v) if v == true

# _store_refs(obj): every store reference of an ExternalSecret spec, with its path.
_store_refs(obj) := [r |
	some base in _es_specs(obj)
	spec := object.get(obj, base, null)
	is_object(spec)
	some r in _refs_in(spec, base)
]

_es_specs(obj) := [["spec"]] if {
	obj.kind == "ExternalSecret"
	startswith(k8s.text(obj.apiVersion), "external-secrets.io/")
}

_es_specs(obj) := [["spec", "externalSecretSpec"]] if {
	obj.kind == "ClusterExternalSecret"
	startswith(k8s.text(obj.apiVersion), "external-secrets.io/")
}

_refs_in(spec, base) := array.concat(
	[r | ref := spec.secretStoreRef; is_object(ref); r := {"ref": ref, "path": array.concat(base, ["secretStoreRef"])}],
	[r |
		some i
		some field in ["data", "dataFrom"]
		entries := object.get(spec, field, [])
		is_array(entries)
		ref := entries[i].sourceRef.storeRef
		is_object(ref)
		r := {"ref": ref, "path": array.concat(base, [field, i, "sourceRef", "storeRef"])}
	],
)

# Point at the store name when written, else at the reference.
_ref_path(ref) := array.concat(ref.path, ["name"]) if object.get(ref.ref, "name", null) != null

_ref_path(ref) := ref.path if object.get(ref.ref, "name", null) == null
