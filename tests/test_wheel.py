"""A built wheel is the whole product: installed into a fresh virtual environment, away from the
repository, `crm init`, `crm check` and `crm dashboard` work from the files the package carries."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from .conftest import REPO

pytestmark = pytest.mark.slow


def run(*command: str | Path, cwd: Path) -> str:
    environment = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CRM_WORKSPACE")}
    completed = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env={**environment, "CRM_NOW": "2026-11-23T12:00:00+01:00"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout + completed.stderr


def build_wheel(tmp_path: Path) -> Path:
    """The wheel of a copy of the sources (so the build leaves nothing in the repository)."""
    source = tmp_path / "source"
    # the .mo files are compiled by the build (setup.py), not copied from a checkout's
    shutil.copytree(
        REPO / "crmcli", source / "crmcli", ignore=shutil.ignore_patterns("*.pyc", "*.mo")
    )
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy(REPO / name, source)
    wheels = tmp_path / "wheels"
    pip = (sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input")
    run(*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", wheels, source, cwd=tmp_path)
    (wheel,) = wheels.glob("crmcli-*.whl")
    return wheel


def fresh_venv(tmp_path: Path, wheel: Path) -> Path:
    """A new venv with only the wheel installed; its dependencies are those of this venv (a
    .pth file), so the test runs offline. The venv's own site-packages come first on sys.path."""
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path)
    python = venv / "bin" / "python"
    purelib = Path(
        run(
            python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp_path
        ).strip()
    )
    (purelib / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    pip = (sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input")
    run(*pip, "--python", python, "install", "--no-deps", "--no-index", wheel, cwd=tmp_path)
    return venv


def test_the_wheel_installs_and_runs_init_check_and_dashboard(tmp_path: Path) -> None:
    venv = fresh_venv(tmp_path, build_wheel(tmp_path))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = run(
        venv / "bin" / "python", "-c", "import crmcli; print(crmcli.__file__)", cwd=elsewhere
    )
    assert where.startswith(str(venv)), where  # the wheel's package, not the repository's
    crm = venv / "bin" / "crm"
    run(crm, "init", "agency", "--with-examples", cwd=elsewhere)
    workspace = elsewhere / "agency"
    assert (workspace / "crm.yaml").is_file()
    assert len(list((workspace / "opportunities").glob("[!_]*.yaml"))) >= 3
    assert "0 errors" in run(crm, "check", cwd=workspace)
    assert "0 ошибок" in run(crm, "check", "--lang", "ru", cwd=workspace)  # the wheel's .mo
    run(crm, "dashboard", "sales", "--out", elsewhere / "report", cwd=workspace)
    html = (elsewhere / "report" / "sales.html").read_text(encoding="utf-8")
    assert "<img" in html and "<style>" in html  # the charts and the packaged CSS
