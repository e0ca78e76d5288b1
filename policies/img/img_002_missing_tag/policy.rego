# METADATA
# title: Image has neither tag nor digest
# description: >-
#   A container, init container or ephemeral container image has no tag and no digest, so the
#   runtime pulls `latest`. The tag is looked for only after the last `/`: in `host:5000/app` the
#   colon is a port. A reference with an unresolved `${VAR}` placeholder (Flux postBuild
#   substitution) is a warning: it can be checked only after substitution.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/containers/images/#image-names
#     description: Kubernetes image names
#   - ref: https://open-policy-agent.github.io/gatekeeper-library/website/validation/disallowedtags
#     description: Gatekeeper disallowedtags (example_no_tag_w_port)
# custom:
#   id: IMG-002
#   name: missing-image-tag
#   kinds: ["@pods"]
#   severity: error
#   remediation: >-
#     Pin the image to a release tag and, better, a digest: `registry.example.com/app:1.4.2@sha256:...`.
#     Images that must stay unpinned go in `policies.params.IMG-002.exempt_images`.
#   params: [exempt_images]
package kubegate.img.missing_tag

import rego.v1

import data.lib.images
import data.lib.k8s

id := "IMG-002"

deny contains f if some f in errors(input)

warn contains f if some f in warnings(input)

errors(obj) := {f |
	some x in _images(obj, "untagged")
	not x.img.placeholder
	x.img.tag == ""
	x.img.digest == ""
	f := {
		"msg": concat("", [_what[x.field], " '", x.name, "' has no image tag or digest, so it runs whatever 'latest' is at pull time"]),
		"path": array.concat(x.path, ["image"]),
	}
}

warnings(obj) := {f |
	some x in _images(obj, "placeholder")
	x.img.placeholder
	f := {
		"msg": concat("", [_what[x.field], " '", x.name, "' image has an unresolved ${...} placeholder; it is checked only after substitution"]),
		"path": array.concat(x.path, ["image"]),
	}
}

_what := {"containers": "container", "initContainers": "init container", "ephemeralContainers": "ephemeral container"}

_images(obj, wanted) := [x |
	some c in k8s.containers(obj)
	ref := c.container.image
	_may_be(wanted, ref)
	img := images.parse(ref)
	not images.matches_any(img, k8s.param(id, "exempt_images", []))
	x := {"path": c.path, "field": c.field, "name": k8s.container_name(c.container), "img": img}
]

# Cheap tests on the reference as written, so that only candidates are parsed (parsing is most of
# this rule's cost). Skipped as tagged: something after an `@` (a digest), or after a `:` in the
# last path segment (a tag; `app:`, `app@` and `app:@` have neither, and are parsed).
_may_be("untagged", ref) if {
	is_string(ref)
	not regex.match(`@.|:[^/@]+@?$`, ref)
}

_may_be("placeholder", ref) if {
	is_string(ref)
	contains(ref, "${")
}
