# METADATA
# title: Helm chart version is absent or a range
# description: >-
#   A HelmRelease `spec.chart.spec.version` or a HelmChart `spec.version` (any API version) is
#   absent (Flux then installs the newest chart, `*`) or is not one exact semver version (`*`, `x`,
#   `1.2`, `>=`, `<`, `~`, `^`, `,`, `||`, spaces): the chart, and every image and RBAC object it
#   renders, changes without a commit to review. A HelmRelease with `spec.chartRef` is pinned by
#   its source: the OCIRepository or HelmChart of that name in the run (in the reference's
#   namespace, default the HelmRelease's) must not float (OCIRepository: no `ref`, tag `latest`,
#   or a `semver` range without `digest`; HelmChart: no exact `version`). A source not in the run
#   is not judged. An unresolved `${VAR}` substitution is left to the render. A chart from a
#   GitRepository or Bucket is not judged: Flux ignores `version` there (the commit pins the chart).
# related_resources:
#   - ref: https://fluxcd.io/flux/components/source/helmcharts/#version
#     description: Flux HelmChart version (defaults to *)
#   - ref: https://fluxcd.io/flux/components/helm/helmreleases/
#     description: Flux HelmRelease chart template and chartRef
# custom:
#   id: FLUX-006
#   name: flux-chart-version-range
#   kinds: [HelmRelease, HelmChart]
#   severity: error
#   remediation: >-
#     Pin one chart version (`version: 6.5.4`) and let Renovate or Flux image automation propose
#     upgrades as commits; pin an OCIRepository chart source with `ref.tag` or `ref.digest`.
#     Namespaces where ranges are accepted (previews) go in
#     `policies.params.FLUX-006.allow_ranges_namespaces`.
#   params: [allow_ranges_namespaces]
package kubegate.flux.chart_version

import rego.v1

import data.lib.flux_ext
import data.lib.k8s

id := "FLUX-006"

deny contains f if some f in errors(input)

errors(obj) := {f |
	not k8s.namespace(obj) in k8s.param(id, "allow_ranges_namespaces", [])
	some f in (_flux6_release_chart(obj) | _flux6_helm_chart(obj)) | _flux6_chart_ref(obj)
}

_flux6_release_chart(obj) := {f |
	flux_ext.is_kind(obj, flux_ext.helm_group, "HelmRelease")
	is_object(object.get(obj, ["spec", "chart"], null))
	not object.get(obj, ["spec", "chart", "spec", "sourceRef", "kind"], "") in _flux6_unversioned_sources
	some f in _flux6_version(obj, ["spec", "chart", "spec", "version"], "spec.chart.spec.version")
}

_flux6_helm_chart(obj) := {f |
	flux_ext.is_kind(obj, flux_ext.source_group, "HelmChart")
	not object.get(obj, ["spec", "sourceRef", "kind"], "") in _flux6_unversioned_sources
	some f in _flux6_version(obj, ["spec", "version"], "spec.version")
}

# A chart from a GitRepository or Bucket is the one at that path in the source's revision: Flux ignores
# `version` there, and the chart is pinned by the commit that changes it.
_flux6_unversioned_sources := {"GitRepository", "Bucket"}

_flux6_chart_ref(obj) := {f |
	flux_ext.is_kind(obj, flux_ext.helm_group, "HelmRelease")
	ref := object.get(obj, ["spec", "chartRef"], null)
	is_object(ref)
	sources := _flux6_sources(obj, ref)
	count(sources) > 0
	every s in sources {
		_flux6_floating_source(s)
	}
	f := {
		"msg": concat("", ["HelmRelease '", k8s.name(obj), "' takes its chart from spec.chartRef, whose ", ref.kind, " does not pin one version"]),
		"path": ["spec", "chartRef"],
	}
}

_flux6_version(obj, at, field) := {f |
	v := object.get(obj, at, null)
	not flux_ext.exact_semver(v)
	not flux_ext.placeholder(v)
	f := {
		"msg": concat("", [obj.kind, " '", k8s.name(obj), "' ", _flux6_problem(v), " ", field, ": the chart changes without a reviewed commit"]),
		"path": flux_ext.present_path(obj, at),
	}
}

_flux6_problem(v) := "has no" if v == null

_flux6_problem(v) := "has a range or partial version in" if {
	v != null
	is_string(v)
}

_flux6_problem(v) := "has a non-string" if {
	v != null
	not is_string(v)
}

# _flux6_sources(obj, ref): the run's objects the chartRef may name (same kind and name, in the
# reference's namespace or, when absent, the HelmRelease's; an object without namespace may be it).
_flux6_sources(obj, ref) := [s |
	ref.kind in {"OCIRepository", "HelmChart"}
	ns := _flux6_ref_namespace(obj, ref)
	some s in k8s.resources_named(ref.kind, ref.name)
	flux_ext.is_kind(s, flux_ext.source_group, ref.kind)
	_flux6_same_namespace(k8s.namespace(s), ns)
]

_flux6_ref_namespace(_, ref) := ref.namespace if flux_ext.nonempty_string(object.get(ref, "namespace", null))

_flux6_ref_namespace(obj, ref) := k8s.namespace(obj) if not flux_ext.nonempty_string(object.get(ref, "namespace", null))

_flux6_same_namespace(ns, _) if ns == ""

_flux6_same_namespace(_, want) if want == ""

_flux6_same_namespace(ns, want) if ns == want

_flux6_floating_source(s) if {
	s.kind == "HelmChart"
	v := object.get(s, ["spec", "version"], null)
	not flux_ext.exact_semver(v)
	not flux_ext.placeholder(v)
}

_flux6_floating_source(s) if {
	s.kind == "OCIRepository"
	ref := _flux6_mapping(object.get(s, ["spec", "ref"], {}))
	not flux_ext.nonempty_string(object.get(ref, "digest", null))
	_flux6_oci_floating(ref)
}

# An OCIRepository ref: digest > semver > tag; absent means `latest`.
_flux6_oci_floating(ref) if {
	semver := object.get(ref, "semver", null)
	flux_ext.nonempty_string(semver)
	not flux_ext.exact_semver(semver)
	not flux_ext.placeholder(semver)
}

_flux6_oci_floating(ref) if {
	not flux_ext.nonempty_string(object.get(ref, "semver", null))
	object.get(ref, "tag", "latest") in {"latest", ""}
}

_flux6_mapping(x) := x if is_object(x)

_flux6_mapping(x) := {} if not is_object(x)
