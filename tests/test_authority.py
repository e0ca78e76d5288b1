"""linter.authority: what a restricted principal (the CI bot) may change."""

from __future__ import annotations

import pytest

from linter import authority, changes
from linter.gitutil import ChangedFile, Identity
from linter.models import DocPath

BOT = authority.Principal("renovate", emails=("*@renovateapp.com",), actors=("renovate[bot]",),
                          allow=authority.default_allowance())
POD_SPEC = """\
      containers:
        - name: app
          image: app:{tag}
          securityContext:
            runAsNonRoot: {nonroot}
      initContainers:
        - name: init
          image: init:{tag}
"""


def workload(kind: str, tag: str = "1", nonroot: str = "true") -> str:
    spec = POD_SPEC.format(tag=tag, nonroot=nonroot)
    api = {"CronJob": "batch/v1", "Job": "batch/v1", "Pod": "v1"}.get(kind, "apps/v1")
    head = f"apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: w\n  namespace: apps\nspec:\n"
    if kind == "Pod":
        return head + "".join(line[4:] + "\n" for line in spec.splitlines())
    if kind == "CronJob":
        job = "  schedule: '@daily'\n  jobTemplate:\n    spec:\n      template:\n        spec:\n"
        return head + job + "".join("    " + line + "\n" for line in spec.splitlines())
    return head + "  template:\n    spec:\n" + spec


ROLE = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: reader
rules:
  - apiGroups: [""]
    resources: ["pods"]
    verbs: [{verbs}]
"""
KUSTOMIZATION = "resources:\n  - d.yaml\nimages:\n  - name: app\n    newTag: '{tag}'\n"
FLUX_KS = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  interval: {interval}
  path: ./apps
  images:
    - name: app
      newTag: '{tag}'
"""
HELM = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: podinfo
  namespace: apps
spec:
  chart:
    spec:
      chart: podinfo
      version: '{version}'
  values:
    image:
      repository: ghcr.io/stefanprodan/podinfo
      tag: '{tag}'
    replicaCount: {replicas}
"""


def problems(base: dict[str, str], head: dict[str, str], who: list[authority.Principal] | None = None
             ) -> list[tuple[str, str, int]]:
    files = sorted({*base, *head})
    changed = [ChangedFile("added" if f not in base else "deleted" if f not in head else "modified", f,
                           f if f in base else "") for f in files if base.get(f) != head.get(f)]
    cs = changes.compute(changed, lambda p: base[p].encode() if p in base else None,
                         lambda p: head[p].encode() if p in head else None)
    out = []
    for p in authority.check(cs, [BOT] if who is None else who):
        if p.span is not None:
            out.append((p.rule_id, p.file, p.span.line))
        else:
            assert p.doc is not None
            out.append((p.rule_id, p.file, p.doc.locate(p.path, p.key).span.line))
    return out


@pytest.mark.parametrize("kind", ["Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod"])
def test_image_bump_in_any_workload_is_allowed(kind: str) -> None:
    assert problems({"w.yaml": workload(kind, "1")}, {"w.yaml": workload(kind, "2")}) == []


@pytest.mark.parametrize("kind", ["Deployment", "CronJob", "Pod"])
def test_security_context_change_is_not(kind: str) -> None:
    head = workload(kind, "2", nonroot="false")
    line = head.splitlines().index(next(x for x in head.splitlines() if "runAsNonRoot" in x)) + 1
    assert problems({"w.yaml": workload(kind)}, {"w.yaml": head}) == [("CHG-001", "w.yaml", line)]


@pytest.mark.parametrize(("base", "head", "expected"), [
    ({"kustomization.yaml": KUSTOMIZATION.format(tag="1")},
     {"kustomization.yaml": KUSTOMIZATION.format(tag="2")}, []),
    ({"ks.yaml": FLUX_KS.format(interval="5m", tag="1")}, {"ks.yaml": FLUX_KS.format(interval="5m", tag="2")},
     []),
    ({"ks.yaml": FLUX_KS.format(interval="5m", tag="1")}, {"ks.yaml": FLUX_KS.format(interval="1m", tag="1")},
     [("CHG-001", "ks.yaml", 7)]),
    ({"hr.yaml": HELM.format(version="1.0", tag="1", replicas=1)},
     {"hr.yaml": HELM.format(version="1.1", tag="2", replicas=1)}, []),
    ({"hr.yaml": HELM.format(version="1.0", tag="1", replicas=1)},
     {"hr.yaml": HELM.format(version="1.0", tag="1", replicas=5)}, [("CHG-001", "hr.yaml", 15)]),
    # RBAC is never the bot's business.
    ({"role.yaml": ROLE.format(verbs='"get"')}, {"role.yaml": ROLE.format(verbs='"get", "delete"')},
     [("CHG-001", "role.yaml", 8)]),
    # A new resource is flagged at its start; a deleted one at its base file and line.
    ({}, {"role.yaml": ROLE.format(verbs='"get"')}, [("CHG-001", "role.yaml", 1)]),
    ({"a.yaml": "x: 1\n---\n" + ROLE.format(verbs='"get"')}, {"a.yaml": "x: 1\n"},
     [("CHG-001", "a.yaml", 3)]),
    # Files kubegate cannot read structurally are flagged at line 1.
    ({"run.sh": "echo a\n"}, {"run.sh": "echo b\n"}, [("CHG-001", "run.sh", 1)]),
])
def test_bot_changes(base: dict[str, str], head: dict[str, str],
                     expected: list[tuple[str, str, int]]) -> None:
    assert problems(base, head) == expected


def test_deletion_message_says_deleted() -> None:
    cs = changes.compute([ChangedFile("deleted", "r.yaml", "r.yaml")],
                         lambda p: ROLE.format(verbs='"get"').encode(), lambda p: None)
    [p] = authority.check(cs, [BOT])
    assert "deleted" in p.message and "ClusterRole reader" in p.message


def test_image_value_must_stay_a_scalar() -> None:
    # Replacing an image string with a mapping is not an image bump.
    base = workload("Deployment")
    head = base.replace("image: app:1", "image: {repo: app}")
    assert problems({"w.yaml": base}, {"w.yaml": head}) == [("CHG-001", "w.yaml", 11)]


def test_humans_and_unmatched_principals_are_not_limited() -> None:
    base, head = {"role.yaml": ROLE.format(verbs='"get"')}, {"role.yaml": ROLE.format(verbs='"*"')}
    assert problems(base, head, who=[]) == []


def test_custom_allowance_for_files_and_paths() -> None:
    section = {"authority": {"principals": [{
        "name": "deployer", "emails": ["deploy@example.com"], "default_allowance": False,
        "allow": [{"kinds": ["Deployment"], "paths": ["/spec/replicas"]}, {"files": ["renovate.json"]}]}]}}
    [who] = authority.principals_from_config(section)
    base = workload("Deployment").replace("spec:\n  template", "spec:\n  replicas: 1\n  template")
    assert problems({"w.yaml": base, "renovate.json": "{}"},
                    {"w.yaml": base.replace("replicas: 1", "replicas: 2"), "renovate.json": '{"a": 1}'},
                    who=[who]) == []
    # default_allowance false: an image bump is now outside the allowance.
    assert problems({"w.yaml": base}, {"w.yaml": base.replace("app:1", "app:2")}, who=[who]) == [
        ("CHG-001", "w.yaml", 12)]


def ident(email: str) -> Identity:
    return Identity("c0ffee", "x", email, "x", email)


@pytest.mark.parametrize(("identities", "actor", "matched"), [
    ([ident("bot@renovateapp.com")], None, True),
    ([ident("BOT@RenovateApp.com")], None, True),
    ([ident("ada@example.com")], None, False),
    ([ident("ada@example.com"), ident("bot@renovateapp.com")], None, True),  # any commit restricts
    ([ident("ada@example.com")], "renovate[bot]", True),
    ([ident("ada@example.com")], "renovate", False),
])
def test_principal_matching(identities: list[Identity], actor: str | None, matched: bool) -> None:
    assert bool(authority.matched([BOT], identities, actor)) == matched


@pytest.mark.parametrize(("pattern", "path", "expected"), [
    ("/spec/template/spec/containers/*/image", ("spec", "template", "spec", "containers", 3, "image"), True),
    ("/spec/template/spec/containers/*/image", ("spec", "template", "spec", "containers", 3), False),
    ("/spec/values/**/tag", ("spec", "values", "tag"), True),
    ("/spec/values/**/tag", ("spec", "values", "a", "b", "tag"), True),
    ("/spec/values/**/tag", ("spec", "values", "a", "tags"), False),
    ("/metadata/annotations/kubegate.io~1ignore", ("metadata", "annotations", "kubegate.io/ignore"), True),
    ("", (), True),
])
def test_path_patterns(pattern: str, path: DocPath, expected: bool) -> None:
    assert authority.path_matches(pattern, path) is expected
