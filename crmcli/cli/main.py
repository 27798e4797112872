"""The `crm` application: global options, command groups, and one place for errors."""

from __future__ import annotations

import copy
import functools
import importlib
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from crmcli import __version__
from crmcli.cli.language import choose_language, translate_typer
from crmcli.cli.start import global_options
from crmcli.core.loader import find_root
from crmcli.editing.lock import settle_interrupted_write
from crmcli.errors import CrmError
from crmcli.i18n import _, lazy, use_language

_base = typer.Typer(
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


@_base.callback()
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


# The module of crmcli.cli that registers each command (or group), in the order `crm --help`
# lists them: running a command imports its module only, as importing all of them costs a
# reading command a fifth of its start (tests/test_cli_narrowed.py keeps this table true).
COMMANDS = {
    **dict.fromkeys(["check"], "checking"),
    **dict.fromkeys(["init", "add", "move", "set", "rename", "rm"], "editing"),
    **dict.fromkeys(["duplicates", "merge"], "duplicates"),
    **dict.fromkeys(["note", "next", "done"], "day"),
    **dict.fromkeys(["board"], "board"),
    **dict.fromkeys(["agenda"], "agenda"),
    **dict.fromkeys(["show", "list"], "reading"),
    **dict.fromkeys(["remind", "automate"], "automating"),
    **dict.fromkeys(["dashboard"], "reporting"),
    **dict.fromkeys(["diff", "log", "fmt", "git"], "reviewing"),
    **dict.fromkeys(["import", "export"], "transfer"),
    **dict.fromkeys(["keys", "secrets"], "secrets"),
    **dict.fromkeys(["schema"], "schemas"),
    **dict.fromkeys(["form"], "form"),
}


def _with(modules: list[str]) -> typer.Typer:
    """The application with the commands of these modules (typer builds each command's
    options from its signature before running any: only those asked for are built)."""
    built = copy.copy(_base)
    built.registered_commands, built.registered_groups = [], []
    for module in modules:
        importlib.import_module(f"crmcli.cli.{module}").register(built)
    return built


@functools.cache
def whole_app() -> typer.Typer:
    """Every command: for help, the version, and what names no command."""
    return _with(list(dict.fromkeys(COMMANDS.values())))


def for_command(args: list[str]) -> typer.Typer:
    """The application with only the module of the command that `args` run, when they name
    one; asking for help, or naming no known command, gets them all."""
    name = global_options(args)[1]
    if name not in COMMANDS:
        return whole_app()
    narrowed = _with([COMMANDS[name]])
    narrowed.registered_commands = [c for c in narrowed.registered_commands if c.name == name]
    narrowed.registered_groups = [g for g in narrowed.registered_groups if g.name == name]
    return narrowed


class _NoticesToStderr(logging.Handler):
    """The library's notices (the "crmcli" logger) written out to the person at the terminal:
    below the CLI nothing writes to the terminal itself."""

    def emit(self, record: logging.LogRecord) -> None:
        sys.stderr.write(self.format(record) + "\n")


def _tell_notices() -> None:
    notices = logging.getLogger("crmcli")
    if not any(isinstance(handler, _NoticesToStderr) for handler in notices.handlers):
        notices.addHandler(_NoticesToStderr())


def run() -> None:
    _tell_notices()
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
