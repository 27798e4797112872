"""The import-linter contracts in pyproject.toml bite: a forbidden import added to a copy of the
package breaks the contract that names it, and the unmodified copy keeps every contract."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from .conftest import REPO

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
LAYERS = "Layers: from core and secrets up to the form and the CLI"
TERMINAL = "Only the CLI imports the terminal libraries: typer, rich, tabulate and click"
MATPLOTLIB = "Only the dashboards import matplotlib"
JINJA = "Only the dashboards and the automations' templates import jinja2"
SERVING = "Only the web form serves HTTP: starlette, uvicorn and co."
EDITING = "Editing imports no heavy library: matplotlib, jinja2, apprise, openpyxl"
CONTRACTS = (LAYERS, TERMINAL, MATPLOTLIB, JINJA, SERVING, EDITING)


def lint_copy(tmp_path: Path, added: dict[str, str]) -> str:
    """Copy the package and pyproject.toml to tmp, append each import line to its module, lint."""
    shutil.copytree(REPO / "crmcli", tmp_path / "crmcli", ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copy(REPO / "pyproject.toml", tmp_path)
    for module, line in added.items():
        path = tmp_path / "crmcli" / module
        path.write_text(path.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")
    completed = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path), "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "Traceback" not in completed.stderr, completed.stderr
    return completed.stdout + f"\nexit {completed.returncode}"


def report_of(output: str, contract: str) -> str:
    """The part of lint-imports' output that explains why `contract` is broken."""
    broken = output.partition("Broken contracts")[2]
    section = broken.partition(f"{contract}\n")[2]
    following = [section.find(f"{other}\n") for other in CONTRACTS if other != contract]
    return section[: min([end for end in following if end >= 0], default=len(section))]


def test_the_unmodified_package_keeps_every_contract(tmp_path: Path) -> None:
    output = lint_copy(tmp_path, {})
    assert output.endswith("exit 0"), output
    for contract in CONTRACTS:
        assert f"{contract} KEPT" in output


# module of the copy → (the import added to it, the contract it breaks, the import reported)
FORBIDDEN = {
    "core/loader.py": ("from crmcli.reports import figures", LAYERS, "crmcli.reports.figures"),
    "core/model.py": ("from crmcli.engine import compute", LAYERS, "crmcli.engine.compute"),
    "fields/numbers.py": ("from crmcli.editing import writer", LAYERS, "crmcli.editing.writer"),
    "engine/query.py": ("import typer", TERMINAL, "typer"),
    "review/diff.py": ("import rich", TERMINAL, "rich"),
    "transfer/export.py": ("import tabulate", TERMINAL, "tabulate"),
    "core/yamlio.py": ("import matplotlib", MATPLOTLIB, "matplotlib"),
    "review/history.py": ("import jinja2", JINJA, "jinja2"),
    "editing/fmt.py": ("from crmcli.automations import state", LAYERS, "crmcli.automations.state"),
    "editing/writer.py": ("import openpyxl", EDITING, "openpyxl"),
    "secrets/cipher.py": ("import rich", TERMINAL, "rich"),
    "form/page.py": ("import matplotlib", MATPLOTLIB, "matplotlib"),
    "duplicates/finder.py": ("import jinja2", JINJA, "jinja2"),
    "index/store.py": ("import uvicorn", SERVING, "uvicorn"),
    "cli/form.py": ("import starlette", SERVING, "starlette"),
}


def test_each_forbidden_import_breaks_its_contract(tmp_path: Path) -> None:
    added = {module: line for module, (line, _, _) in FORBIDDEN.items()}
    output = lint_copy(tmp_path, added)
    assert output.endswith("exit 1"), output
    for module, (_, contract, imported) in FORBIDDEN.items():
        importer = "crmcli." + module.removesuffix(".py").replace("/", ".")
        assert f"{contract} BROKEN" in output, output
        assert f"{importer} -> {imported} (l." in report_of(output, contract), output
