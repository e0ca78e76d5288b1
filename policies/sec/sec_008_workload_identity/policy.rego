# METADATA
# title: Workload identity annotation not allowed
# description: >-
#   A ServiceAccount annotation that grants a cloud identity (`eks.amazonaws.com/role-arn`,
#   `iam.gke.io/gcp-service-account`, `azure.workload.identity/client-id`) must match one of the
#   allowed patterns for that cloud, so a tenant cannot borrow another team's or the platform's
#   cloud role. Until patterns are configured for a cloud, its annotations are reported as warnings
#   (review them); once configured, a non-matching annotation is an error.
# related_resources:
#   - ref: https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html
#     description: EKS, assign IAM roles to ServiceAccounts
#   - ref: https://azure.github.io/azure-workload-identity/docs/topics/service-account-labels-and-annotations.html
#     description: Azure Workload Identity annotations
# custom:
#   id: SEC-008
#   name: workload-identity-annotation
#   kinds: [ServiceAccount]
#   severity: error
#   remediation: >-
#     Use a cloud role made for this team, and list the allowed patterns in
#     `policies.params.SEC-008` (`allowed_role_arns`, `allowed_gcp_service_accounts`,
#     `allowed_azure_client_ids`; RE2 regexes, e.g. `^arn:aws:iam::123456789012:role/team-a-`).
#   params: [allowed_role_arns, allowed_gcp_service_accounts, allowed_azure_client_ids]
package kubegate.sec.workload_identity

import rego.v1

import data.lib.k8s

id := "SEC-008"

deny contains f if some f in errors(input)

warn contains f if some f in warnings(input)

annotations := {
	"eks.amazonaws.com/role-arn": "allowed_role_arns",
	"iam.gke.io/gcp-service-account": "allowed_gcp_service_accounts",
	"azure.workload.identity/client-id": "allowed_azure_client_ids",
}

errors(obj) := {f |
	some x in _identities(obj)
	count(x.patterns) > 0
	not _matches_any(x.value, x.patterns)
	f := {
		"msg": concat("", ["ServiceAccount '", k8s.name(obj), "' annotation ", x.key, " names a cloud identity outside ", x.param]),
		"path": ["metadata", "annotations", x.key],
	}
}

warnings(obj) := {f |
	some x in _identities(obj)
	count(x.patterns) == 0
	f := {
		"msg": concat("", ["ServiceAccount '", k8s.name(obj), "' annotation ", x.key, " grants a cloud identity; set ", x.param, " to check it"]),
		"path": ["metadata", "annotations", x.key],
	}
}

_identities(obj) := [x |
	some key
	obj.kind == "ServiceAccount"
	param := annotations[key]
	value := object.get(obj, ["metadata", "annotations", key], null)
	value != null
	x := {"key": key, "param": param, "value": value, "patterns": k8s.param(id, param, [])}
]

_matches_any(value, patterns) if {
	is_string(value)
	some p in patterns
	regex.match(p, value)
}
