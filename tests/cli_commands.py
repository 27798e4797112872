"""Every `crm` command, walked from the Typer app (groups such as `crm git` included), and its
`--help` as a person reads it. Used by the tests and by cog for docs/CLI.md."""

from __future__ import annotations

import click
from typer.main import get_command
from typer.testing import CliRunner

from crmcli.cli.main import whole_app

from .conftest import environment

# Help text that reads the same on every machine: English, 100 columns, no colours. The language
# is chosen when crmcli.i18n is imported, so cog and the test start a process with these set.
HELP_ENVIRONMENT = {
    "COLUMNS": "100",
    "NO_COLOR": "1",
    "TERM": "dumb",
    "LANGUAGE": "",
    "LC_ALL": "C.UTF-8",
    "LANG": "C.UTF-8",
}


def command_tree() -> dict[str, click.Command]:
    """Full name ("crm git setup") → the click command, the root and the groups included."""
    found: dict[str, click.Command] = {}

    def walk(name: str, command: click.Command) -> None:
        found[name] = command
        for sub_name, sub in sorted(getattr(command, "commands", {}).items()):
            walk(f"{name} {sub_name}", sub)

    walk("crm", get_command(whole_app()))
    return found


def commands() -> list[str]:
    """The names of the commands a person runs: every leaf of the tree."""
    return [name for name, command in command_tree().items() if not hasattr(command, "commands")]


def help_text(name: str) -> str:
    """`crm … --help` for a command named as in `command_tree`."""
    arguments = [*name.split()[1:], "--help"]
    with environment(HELP_ENVIRONMENT):
        result = CliRunner().invoke(whole_app(), arguments, prog_name="crm", terminal_width=100)
    if result.exit_code != 0:
        raise AssertionError(f"{name} --help failed: {result.output}")
    return result.output


def reference() -> str:
    """docs/CLI.md's body: each command's --help under its name."""
    sections = [
        f"## `{name}`\n\n```text\n{help_text(name).rstrip()}\n```\n" for name in command_tree()
    ]
    return "\n".join(sections)
