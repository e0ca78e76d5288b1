# METADATA
# title: Workload lacks provenance annotations
# description: >-
#   Every workload (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job,
#   CronJob) must carry each `required_annotations` key in its own `metadata.annotations`, with a
#   value matching the entry's `allowedRegex` when given, e.g. `example.com/git-commit` matching
#   `^[0-9a-f]{40}$` and `example.com/build-url` matching the Jenkins job URL. Only the workload is
#   checked, not the pod template: a per-commit annotation on the template would restart every pod
#   on each commit. Off until configured; a warning until the organisation's pipeline writes the
#   annotations everywhere (raise it with a severity override then).
# related_resources:
#   - ref: https://open-policy-agent.github.io/gatekeeper-library/website/validation/requiredannotations
#     description: Gatekeeper requiredannotations
#   - ref: https://docs.kubelinter.io/#/generated/checks?id=required-annotation-email
#     description: kube-linter required-annotation-email
# custom:
#   id: META-002
#   name: provenance-annotations
#   kinds: ["@pods"]
#   severity: warning
#   remediation: >-
#     Have the build pipeline write the annotations listed in
#     `policies.params.META-002.required_annotations` (commit, build URL) into the workload's
#     `metadata.annotations`.
#   params: [required_annotations]
package kubegate.meta.provenance_annotations

import rego.v1

import data.lib.k8s
import data.lib.meta_ext

id := "META-002"

warn contains f if some f in warnings(input)

warnings(obj) := {f |
	specs := k8s.param(id, "required_annotations", [])
	count(specs) > 0
	obj.kind in meta_ext.workload_kinds
	noun := concat("", [obj.kind, " '", k8s.name(obj), "'"])
	some f in meta_ext.required_key_findings(obj, ["metadata"], "annotations", specs, noun)
}
