# METADATA
# title: Image is not pinned by digest
# description: >-
#   A container, init container or ephemeral container image carries no valid digest
#   (`@sha256:` and 64 hex digits, or `@sha512:` and 128): a tag can be moved to other content.
#   A malformed digest (`@sha256:1234`) does not pin. A warning by default; an error for resources
#   in `digest_required_namespaces`, or defined in a file matching `digest_required_paths` (globs or
#   `dir/` prefixes relative to the run's working directory; the file comes from
#   data.kubegate.sources, matched by kind, name and namespace: when overlays repeat the same
#   resource, a copy under any required path makes it required).
# related_resources:
#   - ref: https://open-policy-agent.github.io/gatekeeper-library/website/validation/imagedigests
#     description: Gatekeeper imagedigests
#   - ref: https://kyverno.io/policies/other/require-image-checksum/require-image-checksum/
#     description: Kyverno require-image-checksum
#   - ref: https://fluxcd.io/flux/guides/image-update/
#     description: Flux image automation can keep tag@digest references current
# custom:
#   id: IMG-004
#   name: image-digest-pinning
#   kinds: ["@pods"]
#   severity: warning
#   remediation: >-
#     Append the digest: `registry.example.com/app:1.4.2@sha256:...` (`crane digest`, or a Flux
#     ImagePolicy marker with `:digest`). Images that cannot be pinned go in `exempt_images`.
#   params: [digest_required_paths, digest_required_namespaces, exempt_images]
package kubegate.img.digest_pinning

import rego.v1

import data.lib.images
import data.lib.img_ext
import data.lib.k8s

id := "IMG-004"

deny contains f if some f in errors(input)

warn contains f if some f in warnings(input)

errors(obj) := {f |
	_img4_required(obj)
	some f in _img4_findings(obj)
}

warnings(obj) := {f |
	not _img4_required(obj)
	some f in _img4_findings(obj)
}

_img4_findings(obj) := {f |
	some c in k8s.containers(obj)
	img := images.parse(c.container.image)
	img_ext.checkable(img)
	not images.pinned(img)
	not images.matches_any(img, k8s.param(id, "exempt_images", []))
	f := {
		"msg": concat("", [img_ext.what[c.field], " '", k8s.container_name(c.container), "' image ", _img4_problem(img)]),
		"path": array.concat(c.path, ["image"]),
	}
}

_img4_problem(img) := "is not pinned by a digest" if img.digest == ""

_img4_problem(img) := "has a malformed digest (expected sha256: and 64 hex digits), so it is not pinned" if img.digest != ""

_img4_required(obj) if {
	ns := k8s.namespace(obj)
	ns != ""
	ns in k8s.param(id, "digest_required_namespaces", [])
}

# The patterns first: finding a resource's files costs more than the rest of the rule, and most
# configurations have no path patterns at all.
_img4_required(obj) if {
	patterns := [p | some p in k8s.param(id, "digest_required_paths", []); is_string(p)]
	count(patterns) > 0
	some file in img_ext.source_files(obj)
	some pattern in patterns
	img_ext.path_matches(file, pattern)
}
