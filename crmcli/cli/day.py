"""`crm note`, `crm next`, `crm done`: the salesperson's day on one record."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from crmcli.cli import automating
from crmcli.cli.editing import CommitOption, finish
from crmcli.cli.reader import ActAsOption
from crmcli.i18n import lazy

if TYPE_CHECKING:
    from crmcli.editing.activities import ActivityEditor


TypeOption = Annotated[
    str,
    typer.Option("--type", help=lazy("What it was: call, email, meeting or note.")),
]


def register(app: typer.Typer) -> None:
    app.command(
        "note",
        help=lazy(
            "Log what happened on a record (a call, an e-mail, a meeting, a note).\n\n"
            "Examples:\n\n"
            '  crm note opportunities/acme-website "Called, will decide Friday" --type call\n\n'
            '  crm note opportunities/acme-website "Demo done" --type meeting --at 2026-12-01T10:00 --commit'
        ),
    )(note)
    app.command(
        "next",
        help=lazy(
            "Set a record's next step: what is to be done, by when, and by whom.\n\n"
            "Examples:\n\n"
            '  crm next opportunities/acme-website "Send the revised quote" --due 2026-12-05\n\n'
            '  crm next opportunities/acme-website "Call back" --due tomorrow --assignee bruno'
        ),
    )(plan_next)
    app.command(
        "done",
        help=lazy(
            "Log a record's next step as done (an activity) and clear it.\n\n"
            "Examples:\n\n  crm done opportunities/acme-website --type email --commit"
        ),
    )(done)


def _editor(ctx: typer.Context, acting_as: str | None) -> ActivityEditor:
    from crmcli.editing.activities import ActivityEditor

    return ActivityEditor(ctx.obj.root, acting_as)


def note(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(metavar="PROJECT/ID")],
    text: Annotated[str, typer.Argument(metavar="TEXT")],
    kind: TypeOption = "note",
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            help=lazy("When it happened (ISO, in the workspace time zone; default: now)."),
            show_default=False,
        ),
    ] = None,
    acting_as: ActAsOption = None,
    commit: CommitOption = False,
) -> None:
    change = _editor(ctx, acting_as).note(reference, text, kind, at)
    finish(ctx, automating.after_edit(ctx.obj.root, change), commit)


def plan_next(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(metavar="PROJECT/ID")],
    what: Annotated[str, typer.Argument(metavar="WHAT")],
    due: Annotated[
        str | None,
        typer.Option(
            "--due", help=lazy("The day it is due (ISO, locale or tomorrow)."), show_default=False
        ),
    ] = None,
    assignee: Annotated[
        str | None,
        typer.Option(
            "--assignee",
            "-a",
            help=lazy("Who does it (default: the record's assignee)."),
            show_default=False,
        ),
    ] = None,
    acting_as: ActAsOption = None,
    commit: CommitOption = False,
) -> None:
    change = _editor(ctx, acting_as).plan_next(reference, what, due, assignee)
    finish(ctx, automating.after_edit(ctx.obj.root, change), commit)


def done(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(metavar="PROJECT/ID")],
    kind: TypeOption = "note",
    acting_as: ActAsOption = None,
    commit: CommitOption = False,
) -> None:
    change = _editor(ctx, acting_as).done(reference, kind)
    finish(ctx, automating.after_edit(ctx.obj.root, change), commit)
