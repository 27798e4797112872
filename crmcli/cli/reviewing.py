"""`crm diff`, `crm log`, `crm fmt` and `crm git setup` (with the drivers git runs)."""

from __future__ import annotations

import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from crmcli.cli.left_out import StrictOption, name_left_out
from crmcli.cli.output import write_json
from crmcli.cli.reader import NoCacheOption, ReadAsOption, RoleOption
from crmcli.i18n import _, counted, lazy, ngettext

git_app = typer.Typer(
    help=lazy("Make plain git diff, git log -p and git merge understand record files."),
    no_args_is_help=True,
)


class DiffFormat(StrEnum):
    text = "text"
    markdown = "markdown"
    json = "json"


class LogFormat(StrEnum):
    text = "text"
    json = "json"


def _colour() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


def register(app: typer.Typer) -> None:
    app.command(
        "diff",
        help=lazy(
            "Explain what changed between two states of the workspace in business words: "
            "records added, removed, renamed, moved between lists, fields old → new, tags, "
            "computed consequences, and the pipeline before and after.\n\n"
            "REV_RANGE is A..B, A...B (from their merge base), or REV (against the working "
            "tree); the default compares the working tree with HEAD.\n\nExamples:\n\n"
            "  crm diff\n\n  crm diff --staged\n\n  crm diff main..feature\n\n"
            "  crm diff origin/main...HEAD --format markdown > comment.md"
        ),
    )(diff)
    app.command(
        "log",
        help=lazy(
            "Show a record's history from git: each commit's author, date and what it changed, "
            "and the lists the record went through.\n\nExamples:\n\n"
            "  crm log opportunities/acme-corp-website\n\n  crm log clients/romashka --format json"
        ),
    )(log)
    app.command(
        "fmt",
        help=lazy(
            "Rewrite record files into the canonical layout: keys in schema order, quotes only "
            "where needed; comments and everything else stay.\n\nExamples:\n\n"
            "  crm fmt\n\n  crm fmt --check   # exit 1 and list the files fmt would change"
        ),
    )(fmt)
    app.add_typer(git_app, name="git")


def diff(
    ctx: typer.Context,
    revisions: Annotated[
        str | None,
        typer.Argument(metavar="[REV_RANGE]", help=_("A..B, A...B or REV."), show_default=False),
    ] = None,
    staged: Annotated[
        bool,
        typer.Option("--staged", "--cached", help=lazy("Compare the index with HEAD (or REV).")),
    ] = False,
    fmt: Annotated[
        DiffFormat, typer.Option("--format", "-f", help=lazy("Output format."))
    ] = DiffFormat.text,
    totals: Annotated[
        bool,
        typer.Option(
            "--totals",
            help=lazy("Sum the whole pipeline on both sides (reads every deal; slower)."),
        ),
    ] = False,
    acting_as: ReadAsOption = None,
    role_name: RoleOption = None,
    strict: StrictOption = False,
    no_cache: NoCacheOption = False,
) -> None:
    from crmcli.review.diff import open_review
    from crmcli.review.render_json import review_data
    from crmcli.review.render_markdown import render_markdown
    from crmcli.review.render_text import render_text

    root = ctx.obj.root
    review = open_review(root, revisions, staged, totals, acting_as, role_name, not no_cache)
    name_left_out(review.left_out, strict)
    if fmt is DiffFormat.json:
        write_json(review_data(review))
    elif fmt is DiffFormat.markdown:
        sys.stdout.write(render_markdown(review))
    else:
        sys.stdout.write(render_text(review, _colour()))


def log(
    ctx: typer.Context,
    reference: Annotated[
        str,
        typer.Argument(
            metavar="PROJECT/ID", help=_("The record, e.g. opportunities/acme-website.")
        ),
    ],
    fmt: Annotated[LogFormat, typer.Option("--format", "-f", help=lazy("Output format."))] = (
        LogFormat.text
    ),
    acting_as: ReadAsOption = None,
    role_name: RoleOption = None,
    no_cache: NoCacheOption = False,
) -> None:
    from crmcli.review.history import history_data, open_history_of, render_history
    from crmcli.review.sides import require_repository

    root = ctx.obj.root
    require_repository(root)
    history, found = open_history_of(root, reference, acting_as, role_name, not no_cache)
    if fmt is LogFormat.json:
        write_json(history_data(found))
    else:
        sys.stdout.write(render_history(found, history.side, _colour()))


def fmt(
    ctx: typer.Context,
    check: Annotated[
        bool,
        typer.Option("--check", help=lazy("Change nothing; exit 1 if a file is not canonical.")),
    ] = False,
) -> None:
    from crmcli.cli.output import problem_line
    from crmcli.editing.fmt import format_workspace

    root = ctx.obj.root
    result = format_workspace(root, check_only=check)
    for problem in result.problems:
        sys.stderr.write(problem_line(root, problem) + "\n")
    for path in result.changed:
        sys.stdout.write(
            (_("would reformat {path}") if check else _("reformatted {path}")).format(path=path)
            + "\n"
        )
    changed = ngettext("{n} file", "{n} files", len(result.changed)).format(
        n=counted(len(result.changed))
    )
    sys.stderr.write(
        (
            _("{changed} of {checked} not in the canonical layout")
            if check
            else _("{changed} of {checked} reformatted")
        ).format(changed=changed, checked=counted(result.checked))
        + "\n"
    )
    if (check and result.changed) or any(p.is_error for p in result.problems):
        raise typer.Exit(1)


@git_app.command(
    "setup",
    help=lazy(
        "Configure this repository so that git diff and git log -p show record files in "
        "business words and git merge merges them field by field. Writes .gitattributes "
        "(commit it) and the repository's .git/config (run it once per clone).\n\n"
        "Examples:\n\n  crm git setup\n\n  git diff   # now semantic for record files"
    ),
)
def git_setup(ctx: typer.Context) -> None:
    from crmcli.review.gitsetup import setup

    result = setup(ctx.obj.root)
    sys.stdout.write(_("wrote {path}").format(path=result.attributes) + "\n")
    for key, value in result.config:
        sys.stdout.write(f"git config {key} {value}\n")
    for key in result.skipped:
        sys.stderr.write(
            _("project folder “{key}” has characters git attributes cannot match; skipped").format(
                key=key
            )
            + "\n"
        )


@git_app.command(
    "textconv",
    help=lazy(
        "What git runs to show a record file in business words (set up by crm git setup).\n\n"
        "Example:\n\n  crm git textconv opportunities opportunities/acme-website.yaml"
    ),
)
def git_textconv(
    ctx: typer.Context,
    project: Annotated[str, typer.Argument(help=_("The project the file belongs to."))],
    file: Annotated[Path, typer.Argument(help=_("The file git gives."))],
) -> None:
    from crmcli.review.gitsetup import semantic_view

    raw = file.read_bytes()
    try:
        text = semantic_view(ctx.obj.root, project, raw)
    except Exception:  # git must always get a view, even of a broken workspace: the file
        text = raw.decode("utf-8", "replace")
    sys.stdout.write(text)


@git_app.command(
    "merge-driver",
    help=lazy(
        "What git runs to merge a record file field by field (set up by crm git setup): "
        "BASE OURS THEIRS PATH [MARKER_SIZE], as git's %O %A %B %P %L.\n\n"
        "Example (the driver line crm git setup writes to .git/config):\n\n"
        "  crm git merge-driver %O %A %B %P %L"
    ),
)
def git_merge_driver(
    ctx: typer.Context,
    base: Annotated[Path, typer.Argument(help=_("The common ancestor's version (%O)."))],
    ours: Annotated[Path, typer.Argument(help=_("Our version, overwritten with the result (%A)."))],
    theirs: Annotated[Path, typer.Argument(help=_("Their version (%B)."))],
    path: Annotated[str, typer.Argument(help=_("The file's path in the repository (%P)."))],
    marker_size: Annotated[int, typer.Argument(help=_("Conflict marker size (%L)."))] = 7,
) -> None:
    from crmcli.errors import CrmError
    from crmcli.review.merge import line_merge, merge_driver

    try:
        result = merge_driver(ctx.obj.root, base, ours, theirs, path, marker_size)
    except CrmError:  # no readable workspace here: git's line merge loses nothing
        result = line_merge(base, ours, theirs, marker_size)
    for conflict in result.conflicts:
        sys.stderr.write(_("crm: merge conflict: {conflict}").format(conflict=conflict) + "\n")
    if result.conflicts:
        raise typer.Exit(1)
