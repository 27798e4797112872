"""docs/ARCHITECTURE.md names the home of every module, sub-package and command: its table
“Where things live” is checked against the package and the Typer app, so a new module or
command fails here until the page says where it lives."""

from __future__ import annotations

import re

from .cli_commands import commands
from .conftest import REPO

PACKAGE = REPO / "crmcli"
DOC = REPO / "docs" / "ARCHITECTURE.md"


def table_names() -> set[str]:
    """Every `name` in backquotes on the rows of the table “Where things live”."""
    text = DOC.read_text(encoding="utf-8").partition("## Where things live")[2]
    rows = [line for line in text.splitlines() if line.startswith("|")]
    return {name for row in rows for name in re.findall(r"`([^`]+)`", row)}


def test_every_module_is_in_the_table():
    modules = sorted(
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if path.name != "__init__.py"
    )
    missing = [module for module in modules if module not in table_names()]
    assert modules and missing == [], f"modules missing from docs/ARCHITECTURE.md: {missing}"


def test_every_sub_package_is_in_the_table():
    packages = sorted(
        path.parent.relative_to(PACKAGE).as_posix() + "/"
        for path in PACKAGE.glob("**/__init__.py")
        if path.parent != PACKAGE
    )
    missing = [package for package in packages if package not in table_names()]
    assert len(packages) >= 8 and missing == [], (
        f"sub-packages missing from docs/ARCHITECTURE.md: {missing}"
    )


def test_every_command_is_in_the_table():
    names = table_names()
    missing = [name for name in commands() if name not in names]
    assert missing == [], f"commands missing from docs/ARCHITECTURE.md: {missing}"


def test_the_table_names_no_module_that_is_gone():
    modules = {name for name in table_names() if name.endswith(".py")}
    gone = sorted(name for name in modules if not (PACKAGE / name).is_file())
    assert gone == [], f"docs/ARCHITECTURE.md names modules that do not exist: {gone}"
