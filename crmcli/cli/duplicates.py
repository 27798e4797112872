"""`crm duplicates` and `crm merge`."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated

import typer

from crmcli.cli.editing import CommitOption, SetOption, finish
from crmcli.cli.output import write_json, write_table
from crmcli.cli.reader import ActAsOption, NoCacheOption, ReadAsOption, RoleOption, open_as_reader
from crmcli.i18n import _, lazy


class DuplicatesFormat(StrEnum):
    table = "table"
    json = "json"


class Preference(StrEnum):
    keep = "keep"
    other = "other"


def register(app: typer.Typer) -> None:
    app.command(
        "duplicates",
        help=lazy(
            "List likely duplicate records of a project: same e-mail, phone number or website, "
            "or similar names, each pair with its reasons and a score (0-100).\n\nExamples:\n\n"
            "  crm duplicates clients\n\n  crm duplicates clients --format json --min-score 90"
        ),
    )(duplicates)
    app.command(
        "merge",
        help=lazy(
            "Merge records of one project into the first: every differing field decided by a "
            "rule and listed, tags and histories united, every reference re-pointed, the merged "
            "files removed, all in one write.\n\nExamples:\n\n"
            "  crm merge clients/societe-generale clients/societe-generale-2 --dry-run\n\n"
            "  crm merge clients/acme clients/acme-2 --prefer keep --set phone=0142000000 --commit"
        ),
    )(merge)


def duplicates(
    ctx: typer.Context,
    project: Annotated[str, typer.Argument(metavar="PROJECT")],
    fmt: Annotated[
        DuplicatesFormat, typer.Option("--format", "-f", help=lazy("Output format."))
    ] = DuplicatesFormat.table,
    min_score: Annotated[
        int,
        typer.Option(
            "--min-score", min=0, max=100, help=lazy("List only pairs scoring at least this.")
        ),
    ] = 70,
    acting_as: ReadAsOption = None,
    role_name: RoleOption = None,
    no_cache: NoCacheOption = False,
) -> None:
    from crmcli.duplicates.stored_keys import project_duplicates_served

    opened, reader = open_as_reader(ctx.obj.root, acting_as, role_name, no_cache)
    target = opened.project(project)
    found = project_duplicates_served(
        ctx.obj.root, opened, target, lambda key: reader.may_see(target.key, key), min_score
    )
    if fmt is DuplicatesFormat.json:
        write_json(
            [{"records": list(m.records), "reason": m.reason, "score": m.score} for m in found]
        )
        return
    if not found:
        sys.stderr.write(_("No likely duplicates in {project}.").format(project=target.name) + "\n")
        return
    write_table(
        [_("Records"), _("Score"), _("Reason")],
        [[" = ".join(m.records), str(m.score), m.reason] for m in found],
    )


def merge(
    ctx: typer.Context,
    keep: Annotated[
        str, typer.Argument(metavar="PROJECT/KEEP", help=_("The record that remains."))
    ],
    others: Annotated[
        list[str], typer.Argument(metavar="PROJECT/OTHER...", help=_("The records merged into it."))
    ],
    prefer: Annotated[
        Preference | None,
        typer.Option(
            "--prefer",
            help=lazy("Which value wins where the records differ and no rule decides."),
            show_default=False,
        ),
    ] = None,
    assignments: SetOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help=lazy("Show every choice; write nothing."))
    ] = False,
    acting_as: ActAsOption = None,
    commit: CommitOption = False,
) -> None:
    from crmcli.duplicates.merge import merge_records
    from crmcli.editing.editor import Editor

    editor = Editor(ctx.obj.root, acting_as)
    merged = merge_records(
        editor,
        keep,
        others,
        prefer.value if prefer else None,
        assignments or [],
        dry_run=dry_run,
    )
    for line in merged.details:
        sys.stdout.write("  " + line + "\n")
    finish(ctx, merged.change, commit and not dry_run)
