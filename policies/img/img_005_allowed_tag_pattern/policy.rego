# METADATA
# title: Image tag does not follow the allowed pattern
# description: >-
#   When `allowed_tag_regex` is configured (for example semver plus git sha,
#   `^v?[0-9]+\.[0-9]+\.[0-9]+-[0-9a-f]{7,40}$`), every container, init container and ephemeral
#   container image tag must match it, with or without a digest (the tag is what people and Flux
#   image policies read). Off until configured: the convention is the organisation's. Images without
#   a tag are IMG-002's concern; references with an unresolved `${VAR}` are checked after
#   substitution. A pattern that is not a valid RE2 expression is reported on each image instead
#   of silently passing everything.
# related_resources:
#   - ref: https://fluxcd.io/flux/guides/sortable-image-tags/
#     description: Flux guide to sortable image tags
#   - ref: https://semver.org/
#     description: Semantic Versioning
# custom:
#   id: IMG-005
#   name: allowed-image-tag-pattern
#   kinds: ["@pods"]
#   severity: warning
#   remediation: >-
#     Tag images by the organisation's convention (`policies.params.IMG-005.allowed_tag_regex`), e.g.
#     `1.4.2-abc1234`, so that releases sort and trace back to a commit.
#   params: [allowed_tag_regex, exempt_images]
package kubegate.img.allowed_tag_pattern

import rego.v1

import data.lib.images
import data.lib.img_ext
import data.lib.k8s

id := "IMG-005"

warn contains f if some f in warnings(input)

pattern := k8s.param(id, "allowed_tag_regex", "")

warnings(obj) := {f |
	is_string(pattern)
	pattern != ""
	some x in _img5_tagged(obj)
	f := _img5_finding(x)
}

_img5_finding(x) := {"msg": concat("", [x.what, " '", x.name, "' image tag does not match policies.params.IMG-005.allowed_tag_regex"]), "path": x.path} if {
	regex.is_valid(pattern)
	not regex.match(pattern, x.tag)
}

_img5_finding(x) := {"msg": concat("", [x.what, " '", x.name, "' image tag is not checked: policies.params.IMG-005.allowed_tag_regex is not a valid regular expression"]), "path": x.path} if {
	not regex.is_valid(pattern)
}

_img5_tagged(obj) := [x |
	some c in k8s.containers(obj)
	img := images.parse(c.container.image)
	img_ext.checkable(img)
	img.tag != ""
	not images.matches_any(img, k8s.param(id, "exempt_images", []))
	x := {
		"tag": img.tag,
		"what": img_ext.what[c.field],
		"name": k8s.container_name(c.container),
		"path": array.concat(c.path, ["image"]),
	}
]
