# METADATA
# title: Image uses a mutable tag
# description: >-
#   A container, init container or ephemeral container image uses a tag that is moved on purpose
#   (`latest`, `main`, `master`, `dev`, `stable`, ...; parameter `disallowed_tags`) or matches
#   `mutable_tag_regex`, and carries no valid digest. With a digest (`app:latest@sha256:...`) the
#   digest governs and the tag is only a label, as Flux image automation writes it.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/configuration/overview/#container-images
#     description: Kubernetes configuration best practices (avoid latest)
#   - ref: https://fluxcd.io/flux/guides/image-update/
#     description: Flux image update guide (tag@digest references)
# custom:
#   id: IMG-003
#   name: mutable-image-tag
#   kinds: ["@pods"]
#   severity: error
#   remediation: >-
#     Use an immutable release tag (`1.4.2`, `1.4.2-abc1234`) or append the digest
#     (`app:1.4.2@sha256:...`). Images that must float go in `policies.params.IMG-003.exempt_images`.
#   params: [disallowed_tags, mutable_tag_regex, exempt_images]
package kubegate.img.mutable_tag

import rego.v1

import data.lib.images
import data.lib.k8s

id := "IMG-003"

default_disallowed_tags := [
	"latest", "main", "master", "dev", "develop", "development", "stable", "edge",
	"nightly", "head", "trunk", "canary", "snapshot",
]

deny contains f if some f in errors(input)

errors(obj) := {f |
	some c in k8s.containers(obj)
	img := images.parse(c.container.image)
	not img.placeholder
	not images.pinned(img)
	_mutable(lower(img.tag))
	not images.matches_any(img, k8s.param(id, "exempt_images", []))
	f := {
		"msg": concat("", [_what[c.field], " '", k8s.container_name(c.container), "' uses a mutable image tag without a digest"]),
		"path": array.concat(c.path, ["image"]),
	}
}

_what := {"containers": "container", "initContainers": "init container", "ephemeralContainers": "ephemeral container"}

_mutable(tag) if {
	some t in k8s.param(id, "disallowed_tags", default_disallowed_tags)
	tag == lower(t)
}

_mutable(tag) if {
	pattern := k8s.param(id, "mutable_tag_regex", "")
	pattern != ""
	tag != ""
	regex.match(pattern, tag)
}
