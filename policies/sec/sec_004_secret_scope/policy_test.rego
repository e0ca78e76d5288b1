package kubegate.sec.secret_scope_test

import rego.v1

import data.kubegate.sec.secret_scope as p

paths(set) := {f.path | some f in set}

sealed(meta, template) := {
	"apiVersion": "bitnami.com/v1alpha1", "kind": "SealedSecret",
	"metadata": object.union({"name": "s"}, meta),
	"spec": {"encryptedData": {"k": "AgB..."}, "template": {"metadata": template}},
}

es(spec) := {"apiVersion": "external-secrets.io/v1beta1", "kind": "ExternalSecret", "metadata": {"name": "e"}, "spec": spec}

test_strict_sealed_secret_passes if {
	count(p.warnings(sealed({}, {}))) == 0
	count(p.warnings(sealed({"annotations": {"sealedsecrets.bitnami.com/cluster-wide": "false"}}, {}))) == 0
}

test_cluster_and_namespace_wide if {
	obj := sealed(
		{"annotations": {"sealedsecrets.bitnami.com/cluster-wide": "true"}},
		{"annotations": {"sealedsecrets.bitnami.com/namespace-wide": "true"}},
	)
	paths(p.warnings(obj)) == {
		["metadata", "annotations", "sealedsecrets.bitnami.com/cluster-wide"],
		["spec", "template", "metadata", "annotations", "sealedsecrets.bitnami.com/namespace-wide"],
	}
}

test_namespaced_store_passes if {
	count(p.warnings(es({"secretStoreRef": {"name": "vault", "kind": "SecretStore"}}))) == 0
	count(p.warnings(es({"secretStoreRef": {"name": "vault"}}))) == 0
}

test_cluster_store if {
	obj := es({"secretStoreRef": {"name": "vault", "kind": "ClusterSecretStore"}})
	paths(p.warnings(obj)) == {["spec", "secretStoreRef", "name"]}
	count(p.warnings(obj)) == 0 with data.params as {"SEC-004": {"allowed_cluster_stores": ["vault"]}}
}

test_per_entry_store_refs if {
	# A namespaced default store does not vouch for entries that name their own cluster store.
	obj := es({
		"secretStoreRef": {"name": "local", "kind": "SecretStore"},
		"data": [{"secretKey": "a", "remoteRef": {"key": "x"}, "sourceRef": {"storeRef": {"name": "shared", "kind": "ClusterSecretStore"}}}],
		"dataFrom": [{"extract": {"key": "y"}, "sourceRef": {"storeRef": {"kind": "ClusterSecretStore"}}}],
	})
	paths(p.warnings(obj)) == {["spec", "data", 0, "sourceRef", "storeRef", "name"], ["spec", "dataFrom", 0, "sourceRef", "storeRef"]}
}

test_cluster_external_secret if {
	obj := {"apiVersion": "external-secrets.io/v1beta1", "kind": "ClusterExternalSecret", "metadata": {"name": "c"}, "spec": {"externalSecretSpec": {"secretStoreRef": {"name": "vault", "kind": "ClusterSecretStore"}}}}
	paths(p.warnings(obj)) == {["spec", "externalSecretSpec", "secretStoreRef", "name"]}
}

test_other_api_groups_and_malformed if {
	count(p.warnings({"apiVersion": "example.com/v1", "kind": "ExternalSecret", "spec": {"secretStoreRef": {"kind": "ClusterSecretStore"}}})) == 0
	count(p.warnings(es("bogus"))) == 0
	count(p.warnings(es({"secretStoreRef": "bogus", "data": "bogus"}))) == 0
}

test_wiring if {
	w := p.warn with input.kind as "SealedSecret" with input.metadata as {"name": "s", "annotations": {"sealedsecrets.bitnami.com/cluster-wide": "true"}}
	paths(w) == {["metadata", "annotations", "sealedsecrets.bitnami.com/cluster-wide"]}
}
