# METADATA
# title: Long-lived ServiceAccount token Secret
# description: >-
#   A Secret of type `kubernetes.io/service-account-token` makes the control plane mint a
#   non-expiring token for the ServiceAccount it names. Since Kubernetes 1.24 pods get short-lived,
#   audience-bound projected tokens; a long-lived token leaks forever once copied.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/security/service-accounts/#get-a-token
#     description: Kubernetes ServiceAccount tokens
#   - ref: https://kubernetes.io/docs/reference/access-authn-authz/service-accounts-admin/#legacy-serviceaccount-token-cleaner
#     description: Legacy ServiceAccount token cleaner
# custom:
#   id: SEC-007
#   name: service-account-token-secret
#   kinds: [Secret]
#   severity: error
#   remediation: >-
#     Delete the Secret. Pods get projected tokens automatically; an external client should use
#     `kubectl create token` (TokenRequest) with a short expiry, or workload identity federation.
package kubegate.sec.service_account_token_secret

import rego.v1

import data.lib.k8s

deny contains f if some f in errors(input)

errors(obj) := {f |
	obj.kind == "Secret"
	obj.type == "kubernetes.io/service-account-token"
	f := {
		"msg": concat("", ["Secret '", k8s.name(obj), "' requests a long-lived ServiceAccount token"]),
		"path": ["type"],
	}
}
