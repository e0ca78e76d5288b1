# METADATA
# title: Image is not from an allowed registry
# description: >-
#   Every container, init container and ephemeral container image must come from an allowed
#   registry (`allowed_registries`). The reference is normalised first (`nginx` is
#   `docker.io/library/nginx`; `docker.io/nginx` and `index.docker.io/...` are Docker Hub too), then
#   an entry matches when it equals the reference or is a prefix of it ending in `/`. A bare host
#   `registry.example.com` therefore never admits `registry.example.com.evil.io/app`: write
#   `registry.example.com/`. Which registries are trusted depends on the organisation: until
#   `allowed_registries` is configured each image is a warning asking for the list; once it is
#   configured (even as `[]`), an image outside it is an error.
# related_resources:
#   - ref: https://open-policy-agent.github.io/gatekeeper-library/website/validation/allowedrepos
#     description: Gatekeeper allowedrepos (add the trailing `/` to a registry)
#   - ref: https://kyverno.io/policies/best-practices/restrict-image-registries/restrict-image-registries/
#     description: Kyverno restrict-image-registries
# custom:
#   id: IMG-001
#   name: allowed-image-registries
#   kinds: ["@pods"]
#   severity: error
#   remediation: >-
#     Pull the image from an approved registry (mirror it there), or add the registry to
#     `policies.params.IMG-001.allowed_registries` as `host/` or `host/org/` (with the trailing `/`).
#     A single image can be admitted in `exempt_images`.
#   params: [allowed_registries, exempt_images]
package kubegate.img.allowed_registries

import rego.v1

import data.lib.images
import data.lib.img_ext
import data.lib.k8s

id := "IMG-001"

deny contains f if some f in errors(input)

warn contains f if some f in warnings(input)

# null stands for "not configured": an explicit [] is a configured (empty) allowlist.
allowed := k8s.param(id, "allowed_registries", null)

errors(obj) := {f |
	is_array(allowed)
	some x in _img1_checked(obj)
	not img_ext.registry_allowed(x.img, allowed)
	f := {
		"msg": concat("", [x.what, " '", x.name, "' image is not from an allowed registry (policies.params.IMG-001.allowed_registries)"]),
		"path": x.path,
	}
}

warnings(obj) := {f |
	not is_array(allowed)
	some x in _img1_checked(obj)
	f := {
		"msg": concat("", [x.what, " '", x.name, "' image registry is not checked: set policies.params.IMG-001.allowed_registries to the registries your organisation trusts"]),
		"path": x.path,
	}
}

_img1_checked(obj) := [x |
	some c in k8s.containers(obj)
	img := images.parse(c.container.image)
	img_ext.checkable(img)
	not images.matches_any(img, k8s.param(id, "exempt_images", []))
	x := {
		"img": img,
		"what": img_ext.what[c.field],
		"name": k8s.container_name(c.container),
		"path": array.concat(c.path, ["image"]),
	}
]
