# METADATA
# title: Static cloud credentials in a manifest
# description: >-
#   A container env var or ConfigMap key carries a literal cloud credential: `AWS_ACCESS_KEY_ID`,
#   `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AZURE_CLIENT_SECRET`, an inline
#   `GOOGLE_APPLICATION_CREDENTIALS` JSON key, or any value shaped like an AWS access key id.
#   Long-lived keys in Git outlive every rotation; use workload identity (IRSA, GKE Workload
#   Identity, Azure Workload Identity) instead. References (`valueFrom`) are not reported.
# related_resources:
#   - ref: https://docs.aws.amazon.com/eks/latest/userguide/iam-roles-for-service-accounts.html
#     description: EKS IAM roles for service accounts
#   - ref: https://cloud.google.com/kubernetes-engine/docs/concepts/workload-identity
#     description: GKE Workload Identity
# custom:
#   id: SEC-006
#   name: static-cloud-credentials
#   kinds: ["@pods", ConfigMap]
#   severity: error
#   remediation: >-
#     Remove the key and revoke it; grant the workload a cloud role through its ServiceAccount
#     (eks.amazonaws.com/role-arn, iam.gke.io/gcp-service-account, azure.workload.identity/client-id).
package kubegate.sec.static_cloud_credentials

import rego.v1

import data.lib.k8s

deny contains f if some f in errors(input)

credential_names := {"aws_access_key_id", "aws_secret_access_key", "aws_session_token", "azure_client_secret"}

errors(obj) := {f |
	some j
	some c in k8s.containers(obj)
	env := object.get(c.container, "env", [])
	is_array(env)
	e := env[j]
	is_object(e)
	_credential(object.get(e, "name", ""), object.get(e, "value", ""))
	f := {
		"msg": concat("", ["container '", k8s.container_name(c.container), "' env ", format_int(j, 10), " holds a literal cloud credential"]),
		"path": array.concat(c.path, ["env", j, "value"]),
	}
} | {f |
	some key
	obj.kind == "ConfigMap"
	values := object.get(obj, "data", {})
	is_object(values)
	value := values[key]
	_credential(key, value)
	f := {"msg": concat("", ["ConfigMap '", k8s.name(obj), "' holds a literal cloud credential"]), "path": ["data", key]}
}

_credential(name, value) if {
	is_string(value)
	value != ""
	not contains(value, "${")
	is_string(name)
	lower(name) in credential_names
}

_credential(name, value) if {
	is_string(name)
	lower(name) == "google_application_credentials"
	is_string(value)
	contains(value, "private_key")
}

_credential(_, value) if {
	is_string(value)
	count(value) == 20 # what the pattern needs, tested first: the engine compiles a regex per call
	regex.match(`^(AKIA|ASIA)[A-Z0-9]{16}$`, value)
}
