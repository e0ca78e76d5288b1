# METADATA
# title: Flux image policy marker is broken
# description: >-
#   A `# {"$imagepolicy": "<namespace>:<name>[:tag|:name|:digest]"}` setter marker (read from YAML
#   comments into data.kubegate.comments) must name an ImagePolicy of the repository, or Flux image
#   automation silently never updates the field. A `:digest` marker needs the ImagePolicy's
#   `spec.digestReflectionPolicy` to be `IfNotPresent` or `Always` (the default `Never` reflects no
#   digest). An ImagePolicy that selects only `latest` (`spec.filterTags.pattern: ^latest$`) must use
#   `digestReflectionPolicy: Always`, or the selected reference never changes. An ImagePolicy written
#   without a namespace (set later by kustomize) matches any marker namespace.
# related_resources:
#   - ref: https://fluxcd.io/flux/guides/image-update/
#     description: Flux image update guide (setter markers)
#   - ref: https://fluxcd.io/flux/components/image/imagepolicies/
#     description: Flux ImagePolicy (digestReflectionPolicy, filterTags)
# custom:
#   id: IMG-007
#   name: image-policy-markers
#   severity: warning
#   remediation: >-
#     Point the marker at an existing ImagePolicy as `namespace:name` (optionally `:tag`, `:name` or
#     `:digest`); for `:digest` set `spec.digestReflectionPolicy: IfNotPresent` (or `Always`) on the
#     ImagePolicy; a `^latest$` filter needs `digestReflectionPolicy: Always`.
#   params: []
package kubegate.img.image_policy_markers

import rego.v1

import data.lib.img_ext
import data.lib.k8s

warn contains f if some f in warnings(input)

warnings(obj) := _img7_marker_findings(obj) | _img7_policy_findings(obj)

_img7_marker_findings(obj) := {f |
	some c in _img7_markers(obj)
	msg := _img7_marker_problem(c)
	f := {"msg": concat("", [obj.kind, " '", k8s.name(obj), "' ", msg]), "path": c.path}
}

# The run's markers that sit in this object: same kind and name, a compatible namespace, and the
# marked field exists here (a base and its overlay may share an identity).
_img7_markers(obj) := [c |
	some c in img_ext.comments_named(obj.kind, k8s.name(obj))
	is_object(c)
	c.kind == obj.kind
	c.name == k8s.name(obj)
	img_ext.same_or_unset_namespace(object.get(c, "namespace", null), k8s.namespace(obj))
	is_array(c.path)
	object.get(obj, c.path, null) != null
	is_string(c.marker)
]

_img7_marker_problem(c) := "has a malformed $imagepolicy marker (expected namespace:name with an optional :tag, :name or :digest)" if {
	not regex.match(`^[^:\s]+:[^:\s]+$`, c.marker)
}

_img7_marker_problem(c) := "has an $imagepolicy marker naming an ImagePolicy that is not in the repository" if {
	regex.match(`^[^:\s]+:[^:\s]+$`, c.marker)
	count(_img7_policies(c.marker)) == 0
}

_img7_marker_problem(c) := "has a :digest $imagepolicy marker but the ImagePolicy reflects no digest (digestReflectionPolicy is Never or unset)" if {
	object.get(c, "field", "") == "digest"
	pols := _img7_policies(c.marker)
	count(pols) > 0
	every p in pols {
		_img7_reflection(p) == "Never"
	}
}

_img7_policies(marker) := [p |
	parts := split(marker, ":")
	some p in k8s.resources_named("ImagePolicy", parts[1])
	startswith(k8s.text(object.get(p, "apiVersion", "")), "image.toolkit.fluxcd.io/")
	img_ext.same_or_unset_namespace(object.get(p, ["metadata", "namespace"], null), parts[0])
]

_img7_reflection(p) := k8s.text(object.get(p, ["spec", "digestReflectionPolicy"], "Never"))

_img7_policy_findings(obj) := {f |
	obj.kind == "ImagePolicy"
	object.get(obj, ["spec", "filterTags", "pattern"], "") == "^latest$"
	_img7_reflection(obj) != "Always"
	f := {
		"msg": concat("", ["ImagePolicy '", k8s.name(obj), "' selects only the latest tag but spec.digestReflectionPolicy is not Always, so the reference never changes"]),
		"path": ["spec", "filterTags", "pattern"],
	}
}
