# METADATA
# title: Workload lacks required labels
# description: >-
#   Every workload (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job,
#   CronJob) and its pod template must carry each `required_labels` key, with a value matching the
#   entry's `allowedRegex` when given. The pod template is checked on its own: its labels are what
#   the pods (and cost, network and monitoring selectors) see, and they differ from the workload's.
#   Off until configured: the label scheme is the organisation's.
# related_resources:
#   - ref: https://open-policy-agent.github.io/gatekeeper-library/website/validation/requiredlabels
#     description: Gatekeeper requiredlabels
#   - ref: https://kyverno.io/policies/best-practices/require-labels/require-labels/
#     description: Kyverno require-labels
#   - ref: https://docs.kubelinter.io/#/generated/checks?id=required-label-owner
#     description: kube-linter required-label-owner
# custom:
#   id: META-001
#   name: required-labels
#   kinds: ["@pods"]
#   severity: error
#   remediation: >-
#     Add the labels listed in `policies.params.META-001.required_labels` to the workload's
#     `metadata.labels` and to its pod template's `metadata.labels`.
#   params: [required_labels]
package kubegate.meta.required_labels

import rego.v1

import data.lib.k8s
import data.lib.meta_ext

id := "META-001"

deny contains f if some f in errors(input)

errors(obj) := {f |
	# Nothing is required unless configured: say so before reading the object.
	specs := k8s.param(id, "required_labels", [])
	count(specs) > 0
	some base in meta_ext.metadata_paths(obj)
	some f in meta_ext.required_key_findings(obj, base, "labels", specs, _meta1_noun(obj, base))
}

_meta1_noun(obj, base) := concat("", [obj.kind, " '", k8s.name(obj), "'"]) if base == ["metadata"]

_meta1_noun(obj, base) := concat("", [obj.kind, " '", k8s.name(obj), "' pod template"]) if base != ["metadata"]
