"""How `crm` starts: what its command line says before typer reads it (the language, the
workspace, the command), and, for a command that reads the index, the freshness check's walk
started in a forked child before the rest of `crm` is imported (`index/early_walk.py`).
Standard library only, until the command runs."""

from __future__ import annotations

import sys
from pathlib import Path

from crmcli.core.collector import spare_the_last_collection
from crmcli.core.layout import WORKSPACE_FILE, chosen_folder, nearest_workspace
from crmcli.index import early_walk
from crmcli.index.wanted import NO_CACHE_OPTION, cache_wanted

LANG_OPTION = "--lang"
WORKSPACE_OPTIONS = ("-C", "--workspace")
# the commands whose first step is the index's freshness check of the whole workspace
WALKING = frozenset(
    {"check", "show", "list", "export", "dashboard", "remind", "automate", "board", "agenda"}
)


def take_lang(args: list[str]) -> tuple[str | None, list[str]]:
    """The last --lang value in `args` (up to a `--`), and the arguments without it."""
    written, rest = None, []
    tokens = iter(args)
    for token in tokens:
        if token == "--":
            rest.extend([token, *tokens])
        elif token == LANG_OPTION:
            written = next(tokens, "")
        elif token.startswith(LANG_OPTION + "="):
            written = token.partition("=")[2]
        else:
            rest.append(token)
    return written, rest


def global_options(args: list[str]) -> tuple[str | None, str | None]:
    """The workspace option and the command, read from the global options before the command
    (command None: help, the version, or an option this does not know, which typer answers)."""
    workspace = None
    tokens = iter(args)
    for token in tokens:
        if token in WORKSPACE_OPTIONS:
            workspace = next(tokens, None)
        elif token.startswith("--workspace="):
            workspace = token.partition("=")[2]
        elif token.startswith("-C") and len(token) > 2:
            workspace = token[2:]
        elif token.startswith("-"):
            return workspace, None
        else:
            return workspace, token
    return workspace, None


def run() -> None:
    """The `crm` script."""
    _start_walk(take_lang(sys.argv[1:])[1])
    from crmcli.cli.main import run as run_command

    try:
        run_command()
    finally:
        spare_the_last_collection()


def _start_walk(args: list[str]) -> None:
    workspace, command = global_options(args)
    options = args[: args.index("--")] if "--" in args else args
    if command not in WALKING or not cache_wanted(NO_CACHE_OPTION not in options):
        return
    if "--help" in options or "-h" in options:
        return
    root = chosen_folder(workspace) or nearest_workspace(Path.cwd())
    if root is not None and (root / WORKSPACE_FILE).is_file():
        early_walk.start(root)
