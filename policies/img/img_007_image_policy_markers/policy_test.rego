package kubegate.img.image_policy_markers_test

import rego.v1

import data.kubegate.img.image_policy_markers as p

img7_deploy := {
	"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "apps"},
	"spec": {"template": {"spec": {"containers": [{"name": "a", "image": "ghcr.io/org/web:1.0.0"}]}}},
}

img7_image_path := ["spec", "template", "spec", "containers", 0, "image"]

img7_marker(marker, field) := [{
	"file": "apps/web.yaml", "kind": "Deployment", "namespace": "apps", "name": "web",
	"path": img7_image_path, "line": 9, "marker": marker, "field": field,
}]

img7_policy(name, ns, spec) := {
	"apiVersion": "image.toolkit.fluxcd.io/v1", "kind": "ImagePolicy",
	"metadata": {"name": name, "namespace": ns}, "spec": spec,
}

img7_paths(set) := {f.path | some f in set}

img7_resources := [
	img7_policy("web", "flux-system", {"policy": {"semver": {"range": "1.x"}}}),
	img7_policy("web-digest", "flux-system", {"digestReflectionPolicy": "IfNotPresent"}),
	{"apiVersion": "image.toolkit.fluxcd.io/v1", "kind": "ImagePolicy", "metadata": {"name": "loose"}, "spec": {}},
	{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ghost", "namespace": "flux-system"}},
]

test_marker_naming_existing_policy_passes if {
	# Unrolled: regopy 1.5.2 ignores `with` inside `every`.
	res := img7_resources
	c1 := img7_marker("flux-system:web", "")
	c2 := img7_marker("flux-system:web", "tag")
	c3 := img7_marker("flux-system:web", "name")
	c4 := img7_marker("flux-system:web-digest", "digest")
	c5 := img7_marker("anything:loose", "")
	count(p.warnings(img7_deploy)) == 0 with data.kubegate.comments as c1 with data.kubegate.resources as res
	count(p.warnings(img7_deploy)) == 0 with data.kubegate.comments as c2 with data.kubegate.resources as res
	count(p.warnings(img7_deploy)) == 0 with data.kubegate.comments as c3 with data.kubegate.resources as res
	count(p.warnings(img7_deploy)) == 0 with data.kubegate.comments as c4 with data.kubegate.resources as res
	count(p.warnings(img7_deploy)) == 0 with data.kubegate.comments as c5 with data.kubegate.resources as res
}

test_missing_policy if {
	res := img7_resources
	c1 := img7_marker("flux-system:nope", "")
	c2 := img7_marker("other-ns:web", "")
	c3 := img7_marker("flux-system:ghost", "")
	img7_paths(p.warnings(img7_deploy)) == {img7_image_path} with data.kubegate.comments as c1 with data.kubegate.resources as res
	img7_paths(p.warnings(img7_deploy)) == {img7_image_path} with data.kubegate.comments as c2 with data.kubegate.resources as res
	img7_paths(p.warnings(img7_deploy)) == {img7_image_path} with data.kubegate.comments as c3 with data.kubegate.resources as res
}

img7_malformed := [img7_marker(m, "") | some m in ["web", "flux-system:web:bogus", "a:b:c:d", ":web", "flux-system:"]]

test_malformed_marker if {
	res := img7_resources
	comments := [c |
		some cs in img7_malformed
		some c in cs
	]
	msgs := [f.msg | some f in p.warnings(img7_deploy)] with data.kubegate.comments as comments with data.kubegate.resources as res

	# All five markers sit on the same field, so the findings collapse into one message.
	msgs == ["Deployment 'web' has a malformed $imagepolicy marker (expected namespace:name with an optional :tag, :name or :digest)"]
}

test_digest_needs_reflection if {
	res := array.concat(img7_resources, [img7_policy("never", "flux-system", {"digestReflectionPolicy": "Never"})])
	c1 := img7_marker("flux-system:web", "digest")
	c2 := img7_marker("flux-system:never", "digest")
	c3 := img7_marker("flux-system:web", "tag")
	img7_paths(p.warnings(img7_deploy)) == {img7_image_path} with data.kubegate.comments as c1 with data.kubegate.resources as res
	img7_paths(p.warnings(img7_deploy)) == {img7_image_path} with data.kubegate.comments as c2 with data.kubegate.resources as res
	count(p.warnings(img7_deploy)) == 0 with data.kubegate.comments as c3 with data.kubegate.resources as res
}

test_marker_of_another_object_ignored if {
	res := img7_resources
	other := [{"file": "x.yaml", "kind": "Deployment", "namespace": "apps", "name": "api", "path": img7_image_path, "line": 9, "marker": "flux-system:nope", "field": ""}]
	absent_path := [{"file": "x.yaml", "kind": "Deployment", "namespace": "apps", "name": "web", "path": ["spec", "replicas"], "line": 9, "marker": "flux-system:nope", "field": ""}]
	count(p.warnings(img7_deploy)) == 0 with data.kubegate.comments as other with data.kubegate.resources as res
	count(p.warnings(img7_deploy)) == 0 with data.kubegate.comments as absent_path with data.kubegate.resources as res
}

test_no_data_no_findings if {
	count(p.warnings(img7_deploy)) == 0
}

test_latest_filter_needs_always if {
	latest := {"filterTags": {"pattern": "^latest$"}, "policy": {"alphabetical": {"order": "asc"}}}
	img7_paths(p.warnings(img7_policy("l", "flux-system", latest))) == {["spec", "filterTags", "pattern"]}
	img7_paths(p.warnings(img7_policy("l", "flux-system", object.union(latest, {"digestReflectionPolicy": "IfNotPresent"})))) == {["spec", "filterTags", "pattern"]}
	count(p.warnings(img7_policy("l", "flux-system", object.union(latest, {"digestReflectionPolicy": "Always"})))) == 0
	count(p.warnings(img7_policy("l", "flux-system", {"filterTags": {"pattern": "^main-[a-f0-9]+"}}))) == 0
}

test_wiring if {
	w := p.warn with input.kind as "ImagePolicy" with input.metadata as {"name": "l"}
		with input.spec as {"filterTags": {"pattern": "^latest$"}}
	img7_paths(w) == {["spec", "filterTags", "pattern"]}
}

test_comment_index_finds_the_same_markers if {
	# kubegate gives data.kubegate.comment_index; without it (conftest) the list is scanned.
	res := img7_resources
	other := {"file": "apps/x.yaml", "kind": "Deployment", "namespace": "apps", "name": "other", "path": img7_image_path, "line": 3, "marker": "bad", "field": ""}
	cs := array.concat([other], img7_marker("flux-system:nope", ""))
	index := {"Deployment/other": [0], "Deployment/web": [1]}
	scanned := p.warnings(img7_deploy) with data.kubegate.comments as cs with data.kubegate.resources as res
	indexed := p.warnings(img7_deploy) with data.kubegate.comments as cs with data.kubegate.resources as res
		with data.kubegate.comment_index as index
	img7_paths(scanned) == {img7_image_path}
	indexed == scanned
}
