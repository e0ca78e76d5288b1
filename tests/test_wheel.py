"""The built wheel carries the bundled policies and schemas, and runs from a fresh virtual environment."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # --no-isolation: the build backend comes from the test environment, so no download is needed.
    build = subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out),
                            str(REPO)], capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, (build.stdout + build.stderr)[-2000:]
    [wheel] = out.glob("kubegate-*.whl")
    return wheel


def test_wheel_contains_bundled_policies_and_schemas(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "linter/_bundled/policies/lib/k8s.rego" in names
    assert "linter/_bundled/schemas/config/kubegate.schema.json" in names
    assert "linter/_bundled/schemas/config/params.schema.json" in names
    assert any(n.startswith("linter/_bundled/policies/rbac/") and n.endswith("/policy.rego") for n in names)
    assert not any("__pycache__" in n or n.startswith("tests/") for n in names)


def test_installed_wheel_checks_a_manifest(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    # The fresh environment reuses the test environment's dependencies (no download) through a plain
    # path entry: the .pth files there, among them the editable checkout's, are not processed.
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    Path(purelib, "test-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
                   check=True, timeout=300)
    manifest = tmp_path / "pod.yaml"
    manifest.write_text("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n"
                        "    - name: a\n      image: nginx:latest\n")
    run = subprocess.run([str(env_dir / "bin" / "kubegate"), "check", "--format", "json", "--no-render",
                          str(manifest)], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert run.returncode == 1, run.stderr
    assert '"IMG-003"' in run.stdout
    where = subprocess.run([str(python), "-c", "import linter.resources as r; print(r.bundled_dir('policies'))"],
                           capture_output=True, text=True, cwd=tmp_path, check=True)
    assert "_bundled" in where.stdout and str(REPO) not in where.stdout
