"""JSON-schema validation: Kubernetes schemas, CRD-derived schemas, schema locations, messages, cache."""

from __future__ import annotations

import copy
import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linter.models import ConfigError, Document, Location, Severity, Span
from linter.schema import SchemaValidator, available_versions, resolve_version
from linter.schema.crd import convert
from linter.schema.registry import ResourceType, template_vars

DEPLOYMENT: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "prod", "creationTimestamp": None},
    "spec": {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "web"}},
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "web", "image": "nginx:1.27", "ports": [{"containerPort": 80}],
                                     "resources": {"limits": {"cpu": "500m", "memory": 1024}}}]},
        },
    },
}

WIDGET_CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [size]
              properties:
                size: {x-kubernetes-int-or-string: true, anyOf: [{type: integer}, {type: string}]}
                mode: {type: string, enum: [fast, slow], nullable: true}
                config: {type: object, x-kubernetes-preserve-unknown-fields: true}
                template: {type: object, x-kubernetes-embedded-resource: true, properties: {spec: {type: object}}}
                labels: {type: object, additionalProperties: {type: string}}
    - name: v1beta1
      served: false
      storage: false
      schema:
        openAPIV3Schema: {type: object}
    - name: v2
      served: true
      storage: false
"""


def validator(tmp_path: Path, **kwargs: Any) -> SchemaValidator:
    return SchemaValidator(cache_dir=tmp_path / "cache", **kwargs)


def doc(obj: Any, file: str = "m.yaml") -> Document:
    return Document(file, 0, obj, Span.point(1))


def with_change(path: tuple[Any, ...], value: Any, base: dict[str, Any] | None = None) -> dict[str, Any]:
    obj = copy.deepcopy(base or DEPLOYMENT)
    node = obj
    for part in path[:-1]:
        node = node[part]
    if value is _DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return obj


_DELETE = object()


def found(problems: list[Any]) -> list[tuple[str, tuple[Any, ...], bool, str]]:
    return [(p.rule_id, p.path, p.key, p.message) for p in problems]


# --- positions: a tiny round-trip locator until the project loader exists ---------------------------------


def load(path: Path) -> list[Document]:
    try:
        from linter.loader import load_file  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return _roundtrip_load(path)
    return list(load_file(path, str(path)).documents)


def _roundtrip_load(path: Path) -> list[Document]:
    from ruamel.yaml import YAML

    docs = []
    for index, node in enumerate(YAML(typ="rt").load_all(path.read_text(encoding="utf-8"))):
        docs.append(Document(str(path), index, _plain(node), Span.point(1), locator=_locator(str(path), node)))
    return docs


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def _locator(file: str, root: Any) -> Any:
    def locate(path: tuple[Any, ...], key: bool) -> Location:
        node, line, col = root, root.lc.line, root.lc.col
        for i, part in enumerate(path):
            last = i == len(path) - 1
            if isinstance(node, dict):
                line, col = node.lc.key(part) if (last and key) else node.lc.value(part)
            else:
                line, col = node.lc.item(part)
            node = node[part]
        return Location(file, Span.point(line + 1, col + 1))

    return locate


def positions(problems: list[Any]) -> list[tuple[str, int, int]]:
    out = []
    for p in problems:
        loc = p.doc.locate(p.path, p.key)
        out.append((p.rule_id, loc.span.line, loc.span.column))
    return out


# --- Kubernetes schemas ------------------------------------------------------------------------------------


def test_valid_deployment_passes(tmp_path: Path) -> None:
    assert validator(tmp_path).validate(doc(DEPLOYMENT)) == []


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("spec", "replicas"), "3", ("SCHEMA-001", ("spec", "replicas"), False, "spec.replicas: expected integer, got string")),
        (("spec", "selector"), _DELETE, ("SCHEMA-001", ("spec",), False, 'spec: missing required field "selector"')),
        (("spec", "template", "spec", "containers", 0, "imagePullPolicyy"), "Always",
         ("SCHEMA-001", ("spec", "template", "spec", "containers", 0, "imagePullPolicyy"), True,
          'spec.template.spec.containers[0]: unknown field "imagePullPolicyy"')),
        (("spec", "strategy", "rollingUpdate", "maxSurge"), {"a": 1},
         ("SCHEMA-001", ("spec", "strategy", "rollingUpdate", "maxSurge"), False,
          "spec.strategy.rollingUpdate.maxSurge: expected string or integer, got object")),
        (("spec", "template", "spec", "containers"), {"name": "x"},
         ("SCHEMA-001", ("spec", "template", "spec", "containers"), False,
          "spec.template.spec.containers: expected array, got object")),
        (("metadata", "labels"), {"a.b/c": 5},
         ("SCHEMA-001", ("metadata", "labels", "a.b/c"), False, 'metadata.labels["a.b/c"]: expected string, got integer')),
        (("kind",), "deployment", None),
    ],
)
def test_invalid_deployment(tmp_path: Path, path: tuple[Any, ...], value: Any, expected: Any) -> None:
    problems = validator(tmp_path).validate(doc(with_change(path, value)))
    if expected is None:  # schema files are named by lower-cased kind (as kubeconform); the enum catches it
        assert found(problems) == [("SCHEMA-001", ("kind",), False, "kind: must be one of Deployment")]
    else:
        assert found(problems) == [expected]


def test_unknown_field_is_an_error_only_when_strict(tmp_path: Path) -> None:
    obj = with_change(("spec", "replicaz"), 3)
    assert [p.rule_id for p in validator(tmp_path, strict=True).validate(doc(obj))] == ["SCHEMA-001"]
    assert validator(tmp_path, strict=False).validate(doc(obj)) == []


def test_error_in_second_document_points_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "app.yaml"
    path.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\ndata:\n  a: '1'\n---\n"
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: '3'\n"
        "  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n"
        "    spec:\n      containers:\n        - name: web\n          image: nginx\n"
        "          imagePullPolicyy: Always\n",
        encoding="utf-8",
    )
    problems = validator(tmp_path).validate_many(load(path))
    assert positions(problems) == [("SCHEMA-001", 13, 13), ("SCHEMA-001", 23, 11)]
    assert {p.doc.index for p in problems} == {1}


def test_missing_schema_is_reported_and_counted(tmp_path: Path) -> None:
    obj = {"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {"name": "g"}}
    v = validator(tmp_path)
    problems = v.validate_many([doc(obj), doc(obj)])
    assert [(p.rule_id, p.severity, p.path) for p in problems] == [("SCHEMA-002", Severity.WARNING, ())] * 2
    assert v.unvalidated == {"example.com/v1/Gadget": 2}
    strict = validator(tmp_path, require_schemas=True)
    assert [p.severity for p in strict.validate(doc(obj))] == [Severity.ERROR]


@pytest.mark.parametrize(
    "obj",
    [
        {"apiVersion": "v1", "kind": "../../../../etc/passwd"},
        {"apiVersion": "../../x/v1", "kind": "Pod"},
        {"apiVersion": "apps.example.com/v1", "kind": "Deployment"},  # a CRD group must not hit apps/v1
    ],
)
def test_odd_types_are_unvalidated_not_looked_up(tmp_path: Path, obj: dict[str, Any]) -> None:
    assert [p.rule_id for p in validator(tmp_path).validate(doc(obj))] == ["SCHEMA-002"]


def test_non_resources_are_left_to_the_loader(tmp_path: Path) -> None:
    v = validator(tmp_path)
    assert v.validate_many([doc(None), doc([1]), doc({"kind": 3, "apiVersion": "v1"})]) == []


def test_values_json_cannot_hold_do_not_crash(tmp_path: Path) -> None:
    import datetime

    obj = with_change(("metadata", "annotations"), {"when": datetime.date(2024, 1, 2), 7: "x"})
    assert validator(tmp_path).validate(doc(obj)) == []


def test_errors_per_document_are_capped(tmp_path: Path) -> None:
    obj = with_change(("metadata", "labels"), {f"k{i}": i for i in range(50)})
    problems = validator(tmp_path).validate(doc(obj))
    assert len(problems) == 21 and problems[-1].message == "30 more schema errors in this Deployment not shown"


@pytest.mark.parametrize("version", available_versions())
def test_every_bundled_version_loads_a_deployment_schema(tmp_path: Path, version: str) -> None:
    v = validator(tmp_path, kubernetes_version=version)
    assert v.validate(doc(DEPLOYMENT)) == []
    assert [p.rule_id for p in v.validate(doc(with_change(("spec", "replicas"), "x")))] == ["SCHEMA-001"]


@pytest.mark.parametrize(
    ("requested", "resolved"),
    [("1.30", "1.30.0"), ("v1.30.0", "1.30.0"), ("1.30.7", "1.30.0"), (None, available_versions()[-1])],
)
def test_resolve_version(requested: str | None, resolved: str) -> None:
    assert resolve_version(requested) == resolved


@pytest.mark.parametrize("requested", ["1.2", "2.0", "latest", "1.30.x", "master"])
def test_resolve_version_rejects_unknown(requested: str) -> None:
    with pytest.raises(ConfigError):
        resolve_version(requested)


# --- SOPS and secrets ----------------------------------------------------------------------------------------

SOPS_META = {"kms": [], "age": [{"recipient": "age1xyz", "enc": "-----BEGIN AGE ENCRYPTED FILE-----"}],
             "lastmodified": "2024-01-01T00:00:00Z", "mac": "ENC[AES256_GCM,data:abc,iv:def,tag:ghi,type:str]",
             "version": "3.8.1"}


def test_sops_encrypted_documents_validate_clean(tmp_path: Path) -> None:
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "type": "Opaque",
              "data": {"password": "ENC[AES256_GCM,data:Zm9v,iv:aXY=,tag:dGFn,type:str]"}, "sops": SOPS_META}
    deployment = with_change(("spec", "replicas"), "ENC[AES256_GCM,data:Mw==,iv:aXY=,tag:dGFn,type:int]")
    deployment["sops"] = SOPS_META
    assert validator(tmp_path).validate_many([doc(secret), doc(deployment)]) == []


def test_enc_values_without_sops_metadata_are_still_errors(tmp_path: Path) -> None:
    obj = with_change(("spec", "replicas"), "ENC[AES256_GCM,data:Mw==,iv:aXY=,tag:dGFn,type:int]")
    assert [p.rule_id for p in validator(tmp_path).validate(doc(obj))] == ["SCHEMA-001"]


CANARY = "CANARY-s3cr3t-value"


def test_messages_never_contain_values(tmp_path: Path) -> None:
    obj = copy.deepcopy(DEPLOYMENT)
    spec = obj["spec"]
    spec["replicas"] = CANARY
    spec["paused"] = CANARY
    spec["strategy"]["rollingUpdate"]["maxSurge"] = {"x": CANARY}
    spec["template"]["spec"]["containers"][0]["env"] = [{"name": "A", "value": {"k": CANARY}}, CANARY]
    spec["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = CANARY
    spec["template"]["spec"]["containers"][0]["extra"] = CANARY
    obj["metadata"]["labels"] = [CANARY]
    crd_doc = _crd_docs(tmp_path)
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
              "spec": {"size": [CANARY], "mode": CANARY, "labels": {"a": [CANARY]}}}
    problems = validator(tmp_path, crd_documents=crd_doc).validate_many([doc(obj), doc(widget)])
    assert len(problems) >= 10
    assert not [p.message for p in problems if CANARY in p.message]


_keys = st.text(alphabet="abcdefgh", min_size=1, max_size=6)
_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5).map(lambda s: CANARY + s),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_keys, inner, max_size=3),
    max_leaves=10,
)


@settings(max_examples=60, deadline=None)
@given(field=st.sampled_from(["replicas", "selector", "template", "strategy", "minReadySeconds", "paused", "zzz"]),
       value=_values)
def test_any_value_anywhere_gives_value_free_messages(field: str, value: Any) -> None:
    obj = with_change(("spec", field), value)
    for problem in _shared_validator().validate(doc(obj)):
        assert CANARY not in problem.message and problem.rule_id == "SCHEMA-001"


@functools.cache
def _shared_validator() -> SchemaValidator:
    """One validator for all hypothesis examples (built inside a test, so the isolated cache dir applies)."""
    return SchemaValidator()


# --- CRD-derived schemas -------------------------------------------------------------------------------------


def _crd_docs(tmp_path: Path) -> list[Document]:
    path = tmp_path / "crds" / "widgets.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(WIDGET_CRD, encoding="utf-8")
    return load(path)


WIDGET = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "labels": {"a": "b"}},
          "spec": {"size": 3, "mode": None, "config": {"anything": {"goes": 1}},
                   "template": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {}},
                   "labels": {"a": "b"}}}


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("spec", "size"), "3", []),
        (("spec", "size"), 2.5, [("spec", "size")]),
        (("spec", "mode"), "medium", [("spec", "mode")]),
        (("spec", "sizee"), 1, [("spec", "sizee")]),
        (("spec", "size"), _DELETE, [("spec",)]),
        (("spec", "template", "extra"), 1, [("spec", "template", "extra")]),
        (("spec", "labels", "a"), 1, [("spec", "labels", "a")]),
        (("status",), {}, [("status",)]),
        (("apiVersion",), "example.com/v2", None),  # v2 has no schema: unvalidated
        (("apiVersion",), "example.com/v1beta1", None),  # not served
    ],
)
def test_custom_resource_against_crd_from_the_same_set(
    tmp_path: Path, path: tuple[Any, ...], value: Any, expected: list[tuple[Any, ...]] | None
) -> None:
    v = validator(tmp_path, crd_documents=_crd_docs(tmp_path))
    problems = v.validate(doc(with_change(path, value, WIDGET)))
    if expected is None:
        assert [p.rule_id for p in problems] == ["SCHEMA-002"]
    else:
        assert [p.path for p in problems] == expected
        assert {p.rule_id for p in problems} <= {"SCHEMA-001"}


def test_crd_version_without_schema_is_a_positioned_setup_problem(tmp_path: Path) -> None:
    v = validator(tmp_path, crd_documents=_crd_docs(tmp_path))
    assert [(p.rule_id, p.path) for p in v.setup_problems] == [("SCHEMA-003", ("spec", "versions", 2))]
    assert positions(v.setup_problems) == [("SCHEMA-003", 31, 7)]  # "- name: v2"


def test_crd_files_and_directories(tmp_path: Path) -> None:
    _crd_docs(tmp_path)
    for given_path in (tmp_path / "crds", tmp_path / "crds" / "widgets.yaml"):
        v = validator(tmp_path, crd_files=[given_path])
        assert v.validate(doc(WIDGET)) == []
    with pytest.raises(ConfigError):
        validator(tmp_path, crd_files=[tmp_path / "nope"])


def test_crd_conversion_is_not_strict_when_not_asked() -> None:
    schema = convert({"type": "object", "properties": {"spec": {"type": "object", "properties": {}}}},
                     ResourceType("example.com/v1", "Widget"), strict=False)
    assert "additionalProperties" not in schema and "additionalProperties" not in schema["properties"]["spec"]


def _policy_schema() -> dict[str, Any]:
    # Cilium's CiliumNetworkPolicy shape: junctor branches name fields the structural schema declares.
    selector = {"type": "object", "properties": {"matchLabels": {"type": "object"}}}
    spec = {"type": "object",
            "properties": {"endpointSelector": selector, "nodeSelector": selector, "ingress": {"type": "array"}},
            "oneOf": [{"properties": {"endpointSelector": {}}, "required": ["endpointSelector"]},
                      {"properties": {"nodeSelector": {}}, "required": ["nodeSelector"]}],
            "not": {"properties": {"ingress": {"maxItems": 0}}, "required": ["ingress"]}}
    return convert({"type": "object", "properties": {"spec": spec}}, ResourceType("cilium.io/v2", "Policy"),
                   strict=True)


@pytest.mark.parametrize(
    ("spec", "valid"),
    [
        ({"endpointSelector": {"matchLabels": {}}, "ingress": [{}]}, True),
        ({"nodeSelector": {}}, True),
        ({"endpointSelector": {}, "nodeSelector": {}}, False),  # oneOf: not both
        ({"endpointSelector": {}, "ingresss": []}, False),  # the structural schema stays closed
        ({"endpointSelector": {"matchLabel": {}}}, False),
    ],
)
def test_strict_conversion_leaves_junctor_branches_open(spec: dict[str, Any], valid: bool) -> None:
    import jsonschema_rs

    obj = {"apiVersion": "cilium.io/v2", "kind": "Policy", "metadata": {"name": "p"}, "spec": spec}
    assert jsonschema_rs.validator_for(_policy_schema()).is_valid(obj) is valid


FLUX_SAMPLES: list[tuple[dict[str, Any], list[tuple[Any, ...]]]] = [
    ({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization", "metadata": {"name": "apps", "namespace": "flux-system"},
      "spec": {"interval": "10m", "path": "./apps", "prune": True, "sourceRef": {"kind": "GitRepository", "name": "flux-system"}}}, []),
    ({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization", "metadata": {"name": "apps"},
      "spec": {"interval": "10m", "prune": "yes", "sourceRef": {"kind": "Bucket2", "name": "x"}, "pathh": "."}},
     [("spec", "pathh"), ("spec", "prune"), ("spec", "sourceRef", "kind")]),
    ({"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease", "metadata": {"name": "podinfo"},
      "spec": {"interval": "5m", "chart": {"spec": {"chart": "podinfo", "sourceRef": {"kind": "HelmRepository", "name": "podinfo"}}},
               "values": {"replicaCount": 2, "free": {"form": True}}}}, []),
]


@pytest.mark.parametrize(("obj", "expected"), FLUX_SAMPLES)
def test_flux_crds(tmp_path: Path, shared_dir: Path, obj: dict[str, Any], expected: list[tuple[Any, ...]]) -> None:
    v = validator(tmp_path, crd_files=[shared_dir / "crds" / "flux"])
    assert v.setup_problems == []
    assert sorted(p.path for p in v.validate(doc(obj))) == sorted(expected)


# --- schema locations ----------------------------------------------------------------------------------------

GADGET_SCHEMA = ('{"type": "object", "required": ["spec"], "properties": {"apiVersion": {"type": "string"}, '
                 '"kind": {"type": "string"}, "metadata": {"type": "object"}, "spec": {"type": "object", '
                 '"properties": {"size": {"type": "integer"}}, "additionalProperties": false}}, '
                 '"additionalProperties": false}')
GADGET = {"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {"name": "g"}, "spec": {"size": 1}}


def _layout(root: Path, version: str, strict: bool = True) -> Path:
    """kubeconform's standalone layout for Gadget under `root`."""
    rtype = ResourceType("example.com/v1", "Gadget")
    names = template_vars(rtype, version, strict)
    path = root / f"{names['NormalizedKubernetesVersion']}-standalone{names['StrictSuffix']}" / f"gadget{names['KindSuffix']}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(GADGET_SCHEMA, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("api_version", "kind", "expected"),
    [
        ("v1", "Pod", {"ResourceKind": "pod", "KindSuffix": "-v1", "Group": "v1", "ResourceAPIVersion": "v1"}),
        ("apps/v1", "Deployment", {"ResourceKind": "deployment", "KindSuffix": "-apps-v1", "Group": "apps"}),
        ("helm.toolkit.fluxcd.io/v2", "HelmRelease",
         {"ResourceKind": "helmrelease", "KindSuffix": "-helm-v2", "Group": "helm.toolkit.fluxcd.io",
          "ResourceAPIVersion": "v2", "NormalizedKubernetesVersion": "v1.30.0", "StrictSuffix": "-strict"}),
    ],
)
def test_template_variables_match_kubeconform(api_version: str, kind: str, expected: dict[str, str]) -> None:
    names = template_vars(ResourceType(api_version, kind), "1.30.0", True)
    assert {k: names[k] for k in expected} == expected


def test_local_directory_and_template_locations(tmp_path: Path) -> None:
    version = resolve_version(None)
    _layout(tmp_path / "dir", version)
    flat = tmp_path / "flat" / "example.com" / "gadget_v1.json"
    flat.parent.mkdir(parents=True)
    flat.write_text(GADGET_SCHEMA, encoding="utf-8")
    template = str(tmp_path / "flat") + "/{{ .Group }}/{{.ResourceKind}}_{{ .ResourceAPIVersion }}.json"
    for location in (str(tmp_path / "dir"), template):
        v = validator(tmp_path, locations=["default", location])
        assert v.validate(doc(GADGET)) == []
        assert [p.path for p in v.validate(doc(with_change(("spec", "size"), "x", GADGET)))] == [("spec", "size")]
        assert v.validate(doc(DEPLOYMENT)) == []


@pytest.mark.parametrize("location", ["{{ .Nope }}/x.json", "{{ if .Group }}x{{ end }}/y.json"])
def test_bad_templates_are_config_errors(tmp_path: Path, location: str) -> None:
    with pytest.raises(ConfigError):
        validator(tmp_path, locations=[str(tmp_path) + "/" + location])


def test_missing_local_directory_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such directory"):
        validator(tmp_path, locations=[str(tmp_path / "absent")])


class _Handler(http.server.SimpleHTTPRequestHandler):
    def do_GET(self) -> None:
        if "broken" in self.path:
            self.send_error(500)
        else:
            super().do_GET()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def http_root(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    root = tmp_path / "www"
    root.mkdir()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), lambda *a: _Handler(*a, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_url_location_fetches_caches_and_treats_404_as_absent(tmp_path: Path, http_root: tuple[Path, str]) -> None:
    root, url = http_root
    _layout(root / "schemas", resolve_version(None))
    v = validator(tmp_path, locations=[url + "/schemas"])
    assert v.validate(doc(GADGET)) == []
    assert [p.rule_id for p in v.validate(doc(with_change(("spec", "size"), "x", GADGET)))] == ["SCHEMA-001"]
    other = {"apiVersion": "example.com/v1", "kind": "Other"}
    assert [p.rule_id for p in v.validate(doc(other))] == ["SCHEMA-002"]  # 404: not in this location
    (root / "schemas").rename(root / "gone")
    assert validator(tmp_path, locations=[url + "/schemas"]).validate(doc(GADGET)) == []  # from the disk cache


@pytest.mark.parametrize("suffix", ["/broken", ":1/unreachable"])
def test_url_fetch_failure_fails_closed(tmp_path: Path, http_root: tuple[Path, str], suffix: str) -> None:
    _, url = http_root
    base = url + suffix if suffix.startswith("/") else "http://127.0.0.1" + suffix
    v = validator(tmp_path, locations=[base])
    (problem,) = v.validate(doc(GADGET))  # fails closed on this document; the others are still validated
    assert problem.rule_id == "ENGINE-001" and "schema location" in problem.message


# --- disk cache ----------------------------------------------------------------------------------------------


def test_disk_cache_is_written_and_survives_a_corrupt_entry(tmp_path: Path) -> None:
    validator(tmp_path).validate(doc(DEPLOYMENT))
    entries = list((tmp_path / "cache" / "k8s").glob("*.json"))
    assert len(entries) == 1 and not list((tmp_path / "cache" / "k8s").glob(".tmp-*"))
    entries[0].write_text('{"truncated', encoding="utf-8")
    assert [p.rule_id for p in validator(tmp_path).validate(doc(with_change(("spec", "replicas"), "x")))] == [
        "SCHEMA-001"
    ]


def test_unwritable_cache_only_costs_time(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory", encoding="utf-8")
    v = SchemaValidator(cache_dir=blocker / "cache")
    assert [p.rule_id for p in v.validate(doc(with_change(("spec", "replicas"), "x")))] == ["SCHEMA-001"]
