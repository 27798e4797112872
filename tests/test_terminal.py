"""Only the CLI writes to the terminal. The import contracts keep typer, rich and tabulate in
`crmcli/cli/`; this scan catches what they cannot see: `sys.stderr.write`, `print` or `input`
anywhere below it. The library's notices go to the "crmcli" logger, which the CLI writes out."""

from __future__ import annotations

import ast
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from crmcli.core.loader import load_workspace
from crmcli.engine.reader import identify_actor

PACKAGE = Path(__file__).resolve().parent.parent / "crmcli"
SAMPLE = PACKAGE.parent / "sample-workspace"
STREAMS = {"stdout", "stderr", "stdin", "__stdout__", "__stderr__", "__stdin__"}
CALLS = {"print", "input", "breakpoint"}


def terminal_uses(source: str) -> list[str]:
    """Each use of the terminal in `source`, as "line: what", in the order of the lines."""
    uses = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in STREAMS
            and isinstance(node.value, ast.Name)
            and node.value.id == "sys"
        ):
            uses.append((node.lineno, f"sys.{node.attr}"))
        elif isinstance(node, ast.ImportFrom) and node.module == "sys":
            uses += [(node.lineno, f"sys.{a.name}") for a in node.names if a.name in STREAMS]
        elif (
            isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in CALLS
        ):
            uses.append((node.lineno, f"{node.func.id}()"))
    return [f"{line}: {what}" for line, what in sorted(uses)]


def test_the_scan_finds_each_way_of_writing_to_the_terminal() -> None:
    source = (
        "import sys\n"
        "from sys import stderr\n"
        "sys.stdout.write('a')\n"
        "print('b', file=sys.__stderr__)\n"
        "answer = input()\n"
        "log.print('not the built-in')\n"
        "system.stdout = 1\n"
    )
    assert terminal_uses(source) == [
        "2: sys.stderr",
        "3: sys.stdout",
        "4: print()",
        "4: sys.__stderr__",
        "5: input()",
    ]


def test_no_module_below_the_cli_writes_to_the_terminal() -> None:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if PACKAGE / "cli" in path.parents:
            continue
        uses = terminal_uses(path.read_text(encoding="utf-8"))
        if uses:
            found[str(path.relative_to(PACKAGE))] = uses
    assert found == {}


def stranger(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nobody git or $CRM_USER could name: the reader of the sample is no member."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("CRM_USER", "")


def test_a_stranger_is_told_through_the_crmcli_logger_not_the_terminal(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    stranger(monkeypatch)
    # an earlier in-process run of the CLI may have given the logger its stderr handler
    monkeypatch.setattr(logging.getLogger("crmcli"), "handlers", [])
    workspace = load_workspace(SAMPLE)
    with caplog.at_level(logging.WARNING, logger="crmcli"):
        assert identify_actor(workspace, None) is None
    assert [record.name for record in caplog.records] == ["crmcli.engine.reader"]
    assert "are not a member of this workspace" in caplog.records[0].getMessage()
    assert capsys.readouterr().err == ""


def test_the_cli_writes_a_notice_on_stderr_once(monkeypatch: pytest.MonkeyPatch) -> None:
    stranger(monkeypatch)
    completed = subprocess.run(
        [sys.executable, "-m", "crmcli", "show", "opportunities/agence-pixel-nord-refonte-du-site"],
        cwd=SAMPLE,
        capture_output=True,
        text=True,
        env={**os.environ, "CRM_NO_CACHE": "1", "CRM_LANG": "en"},
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stderr.startswith(
        "warning: you (no git user.email) are not a member of this workspace"
    )
    assert completed.stderr.count("are not a member") == 1
    assert "Pixel Nord" in completed.stdout
