"""Modules import each other only downwards: files → model → engine → consumers → CLI."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "crmcli"

# Each module may import only modules of a lower layer (or its own).
LAYERS = [
    {"__init__", "i18n", "errors", "reports"},
    {"yamlio", "model", "cells"},
    {"problems"},
    {"gitio"},
    {
        "loader",
        "formulas",
        "schema",
        "values",
        "writer",
        "sources",
        "notify",
        "timeline",
        "importers",
    },
    {"lookup", "workload"},
    {"engine", "lock", "actors", "automation_state", "reports.timeline"},
    {
        "checks",
        "query",
        "formatting",
        "schema_export",
        "automations",
        "reports.spec",
        "reports.figures",
    },
    {"api", "edit", "init", "automation_run", "reports.labels", "reports.data"},
    {"review", "layout", "reports.charts", "reports.html"},
    {"history", "gitsetup", "merge", "permissions", "reports.report"},
    {"importing", "export"},
    {"cli", "__main__"},
]


def layer_of(module: str) -> int:
    """A module's own entry (reports.data), else its package's (cli.main → cli)."""
    for name in (module, module.split(".")[0]):
        for index, layer in enumerate(LAYERS):
            if name in layer:
                return index
    raise AssertionError(f"module {module} is in no layer: add it to LAYERS")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    relative_to = path.relative_to(PACKAGE).parts
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = list(relative_to[: len(relative_to) - node.level])
            target = ".".join([*base, node.module] if node.module else base)
            found.add(target or "__init__")
        elif isinstance(node, ast.Import | ast.ImportFrom):
            name = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
            if name and name.startswith("crmcli."):
                found.add(name.removeprefix("crmcli."))
    return found


def test_modules_import_only_downwards():
    violations = []
    for path in PACKAGE.rglob("*.py"):
        module = ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        own = layer_of(module)
        for imported in imported_modules(path):
            if layer_of(imported) > own:
                violations.append(f"{module} imports {imported}")
    assert violations == []


def test_core_never_imports_heavy_or_cli_modules():
    heavy = {"matplotlib", "jinja2", "openpyxl", "typer", "tabulate"}
    core = (
        "yamlio",
        "model",
        "loader",
        "schema",
        "formulas",
        "engine",
        "checks",
        "writer",
        "edit",
        "values",
    )
    for name in core:
        tree = ast.parse((PACKAGE / f"{name}.py").read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                assert not {a.name.split(".")[0] for a in node.names} & heavy, name
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                assert node.module.split(".")[0] not in heavy, name
