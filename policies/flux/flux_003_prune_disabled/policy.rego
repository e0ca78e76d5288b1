# METADATA
# title: Flux Kustomization does not prune
# description: >-
#   A Flux Kustomization (any API version) whose `spec.prune` is not the boolean `true` (false,
#   absent, or a string such as `"true"`) leaves objects removed from Git running in the cluster,
#   so the repository stops describing what runs: a deleted Role or Deployment survives its review.
# related_resources:
#   - ref: https://fluxcd.io/flux/components/kustomize/kustomizations/#prune
#     description: Flux Kustomization garbage collection
#   - ref: https://fluxcd.io/flux/components/kustomize/kustomizations/#recommended-settings
#     description: Flux Kustomization recommended settings
# custom:
#   id: FLUX-003
#   name: flux-prune-disabled
#   kinds: [Kustomization]
#   severity: warning
#   remediation: >-
#     Set `spec.prune: true`; protect objects that must outlive the Kustomization with the
#     `kustomize.toolkit.fluxcd.io/prune: disabled` annotation instead.
#   params: []
package kubegate.flux.prune_disabled

import rego.v1

import data.lib.flux_ext
import data.lib.k8s

warn contains f if some f in warnings(input)

warnings(obj) := {f |
	flux_ext.is_kind(obj, flux_ext.kustomize_group, "Kustomization")
	object.get(obj, ["spec", "prune"], null) != true
	f := {
		"msg": concat("", ["Kustomization '", k8s.name(obj), "' does not set spec.prune to true: objects removed from Git keep running"]),
		"path": flux_ext.present_path(obj, ["spec", "prune"]),
	}
}
