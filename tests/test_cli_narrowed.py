"""`crm` builds only the command it runs (cli/main.py `for_command`): what any command prints,
help and usage errors included, is what the whole application prints."""

from __future__ import annotations

import ast
import contextlib
import io
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from crmcli.cli import main
from crmcli.cli.language import translate_typer
from crmcli.errors import CrmError
from crmcli.i18n import current_language, use_language
from tests.conftest import SAMPLE, environment

CASES = [
    ["show"],
    ["show", "--help"],
    ["-C", str(SAMPLE), "show", "--help"],
    [f"--workspace={SAMPLE}", "list", "opportunities", "-n", "2"],
    [f"-C{SAMPLE}", "show", "opportunities/agence-pixel-nord-refonte-du-logo"],
    ["list", "--bogus"],
    ["list", "opportunities", "--where"],
    ["show", "a", "b"],
    ["schema"],
    ["schema", "--help"],
    ["form", "render", "--help"],
    ["git", "--help"],
    ["check", "-h"],
]


def printed(app: typer.Typer, args: list[str]) -> tuple[object, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code: object = 0
    language = current_language()  # a command may choose its workspace's: the tests' stays
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            app(args=args)
        except SystemExit as exit_:
            code = exit_.code
        except CrmError as error:  # `run` prints these
            code = error.message
        finally:
            use_language(language)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("args", CASES, ids=" ".join)
def test_a_command_prints_what_the_whole_application_prints(args: list[str], tmp_path: Path):
    translate_typer()
    narrowed = main.for_command(args)
    assert narrowed is not main.whole_app() and len(narrowed.registered_commands) <= 1
    with environment({"CRM_USER": "alice", "CRM_NO_CACHE": "1"}):
        assert printed(narrowed, args) == printed(main.whole_app(), args)


@pytest.mark.parametrize(
    "args", [[], ["--help"], ["--version"], ["shwo"], ["-C", "x"], ["--bogus", "show"]]
)
def test_help_the_version_and_unknown_commands_get_the_whole_application(args: list[str]):
    assert main.for_command(args) is main.whole_app()


def test_the_command_table_says_which_module_registers_each_command():
    whole = main.whole_app()
    found = {c.name: c.callback.__module__ for c in whole.registered_commands}
    for group in whole.registered_groups:
        modules = {c.callback.__module__ for c in group.typer_instance.registered_commands}
        assert len(modules) == 1
        found[group.name] = modules.pop()
    assert found == {name: f"crmcli.cli.{module}" for name, module in main.COMMANDS.items()}


def test_running_a_command_imports_only_its_own_module():
    script = (
        "import sys\n"
        "from crmcli.cli import main\n"
        "main.for_command(['show', 'x'])\n"
        "print(sorted(m for m in sys.modules if m.startswith('crmcli.cli.')))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    imported = set(ast.literal_eval(completed.stdout))
    assert "crmcli.cli.reading" in imported
    assert not imported & {"crmcli.cli.agenda", "crmcli.cli.reporting", "crmcli.cli.transfer"}
