"""The `crm` application: global options, command groups, and one place for errors."""

from __future__ import annotations

import copy
import functools
import sys
from pathlib import Path
from typing import Annotated

import typer

from crmcli import __version__
from crmcli.cli import (
    agenda,
    automating,
    board,
    checking,
    day,
    duplicates,
    editing,
    form,
    reading,
    reporting,
    reviewing,
    schemas,
    secrets,
    transfer,
)
from crmcli.cli.language import WORKSPACE_OPTIONS, choose_language, translate_typer
from crmcli.core.loader import find_root
from crmcli.editing.lock import settle_interrupted_write
from crmcli.errors import CrmError
from crmcli.i18n import _, lazy, use_language

app = typer.Typer(
    name="crm",
    help=lazy("A CRM whose database is plain YAML files in a git repository."),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"crm {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    workspace: Annotated[
        Path | None,
        typer.Option(
            "-C",
            "--workspace",
            help=lazy("Workspace folder (default: nearest crm.yaml upward, or $CRM_WORKSPACE)."),
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help=lazy("Show the version.")),
    ] = False,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            metavar="LANG",
            help=lazy(
                "Language of messages: en, fr or ru (default: $CRM_LANG, crm.yaml's language or "
                "locale, then LC_ALL/LC_MESSAGES/LANG). Accepted before or after the command."
            ),
            show_default=False,
        ),
    ] = None,
) -> None:
    if lang is not None:
        use_language(lang)
    ctx.obj = Context(workspace)


class Context:
    """Options shared by every command."""

    def __init__(self, workspace: Path | None) -> None:
        self.workspace_option = workspace

    @functools.cached_property
    def root(self) -> Path:
        """The workspace, with an interrupted multi-file write settled before anything reads it."""
        root = find_root(self.workspace_option)
        recovery = settle_interrupted_write(root)
        if recovery is not None:
            sys.stderr.write(_("crm: {message}").format(message=recovery.message()) + "\n")
        return root


checking.register(app)
editing.register(app)
duplicates.register(app)
day.register(app)
board.register(app)
agenda.register(app)
reading.register(app)
automating.register(app)
reporting.register(app)
reviewing.register(app)
transfer.register(app)
secrets.register(app)
app.add_typer(schemas.app, name="schema")
app.add_typer(form.app, name="form")


def for_command(args: list[str]) -> typer.Typer:
    """The application with only the command that `args` run, when they name one: typer
    builds every command's options from its signature before running any, a measurable share
    of a reading command's start; asking for help, or naming no known command, gets them all."""
    name = _command_name(args)
    commands = [c for c in app.registered_commands if c.name == name]
    groups = [g for g in app.registered_groups if g.name == name]
    if name is None or len(commands) + len(groups) != 1:
        return app
    narrowed = copy.copy(app)
    narrowed.registered_commands, narrowed.registered_groups = commands, groups
    return narrowed


def _command_name(args: list[str]) -> str | None:
    """The first argument that is not a global option (None: help, the version, or an
    option this does not know, which the whole application answers)."""
    tokens = iter(args)
    for token in tokens:
        if token in WORKSPACE_OPTIONS:
            next(tokens, None)
        elif token.startswith("--workspace=") or (token.startswith("-C") and len(token) > 2):
            continue
        elif token.startswith("-"):
            return None
        else:
            return token
    return None


def run() -> None:
    try:
        args = choose_language(sys.argv[1:])
        translate_typer()
        for_command(args)(args=args)
    except CrmError as error:
        for problem in error.problems:
            sys.stderr.write(f"{problem.path}:{problem.line}:{problem.column}: {problem.message}\n")
        sys.stderr.write(_("crm: error: {message}").format(message=error.message) + "\n")
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
