"""`crm agenda`: what a member has to do in the coming days, as a table, JSON or iCalendar."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from crmcli.cli.output import write_json, write_table
from crmcli.cli.reader import NoCacheOption, ReadAsOption, RoleOption, open_as_reader
from crmcli.i18n import _, lazy

if TYPE_CHECKING:
    from crmcli.reports.agenda import Agenda


class AgendaFormat(StrEnum):
    table = "table"
    json = "json"
    ics = "ics"


def register(app: typer.Typer) -> None:
    app.command(
        "agenda",
        help=lazy(
            "List a member's next steps, expected close dates and aging deals for the coming "
            "days; --format ics writes an iCalendar file a calendar app can subscribe to.\n\n"
            "Examples:\n\n  crm agenda\n\n"
            "  crm agenda --member bruno --days 14 --format ics --out bruno.ics"
        ),
    )(agenda)


def agenda(
    ctx: typer.Context,
    member: Annotated[
        str | None,
        typer.Option(
            "--member",
            "-m",
            help=lazy("Whose agenda (default: the member reading)."),
            show_default=False,
        ),
    ] = None,
    days: Annotated[
        int, typer.Option("--days", "-d", min=1, max=366, help=lazy("How many days, from today."))
    ] = 7,
    fmt: Annotated[
        AgendaFormat, typer.Option("--format", "-f", help=lazy("Output format."))
    ] = AgendaFormat.table,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help=lazy("Write to this file instead of stdout."), show_default=False
        ),
    ] = None,
    acting_as: ReadAsOption = None,
    role_name: RoleOption = None,
    no_cache: NoCacheOption = False,
) -> None:
    from crmcli.engine.reader import workspace_now
    from crmcli.reports.agenda import agenda_of

    opened, reader = open_as_reader(ctx.obj.root, acting_as, role_name, no_cache)
    shown = agenda_of(opened, reader, member, days)
    workspace = opened.workspace
    if fmt is AgendaFormat.ics:
        from crmcli.reports.calendar import agenda_calendar

        document = agenda_calendar(
            shown, workspace.config, workspace.root, workspace_now(workspace)
        )
        _write(document, out)
        return
    if out is not None:
        from io import StringIO

        buffer = StringIO()
        _print(shown, workspace, fmt, buffer)
        _write(buffer.getvalue().encode("utf-8"), out)
        return
    _print(shown, workspace, fmt, sys.stdout)


def _print(shown: Agenda, workspace: Any, fmt: AgendaFormat, stream: Any) -> None:
    from crmcli.fields.formatting import Formatter
    from crmcli.reports.agenda import record_link, summary

    formatter = Formatter.for_workspace(workspace.config)
    if fmt is AgendaFormat.json:
        write_json(
            {
                "member": shown.member.id,
                "from": shown.start,
                "to": shown.end,
                "items": [
                    {
                        "kind": item.kind,
                        "day": item.day,
                        "record": item.ref,
                        "name": item.name,
                        "summary": summary(item, formatter),
                        "due": item.due,
                        "overdue": item.overdue,
                        "link": record_link(workspace.config, workspace.root, item),
                    }
                    for item in shown.items
                ],
            },
            stream,
        )
        return
    rows = [[formatter.day(item.day), summary(item, formatter), item.ref] for item in shown.items]
    write_table([_("day"), _("what"), _("record")], rows, stream)


def _write(document: bytes, out: Path | None) -> None:
    if out is None:
        sys.stdout.buffer.write(document)
        sys.stdout.flush()
        return
    from crmcli.editing.atomic import replace_all
    from crmcli.errors import UsageError

    if not out.resolve().parent.is_dir():
        raise UsageError(_("--out: the folder of {path} does not exist").format(path=out))
    replace_all({out.resolve(): document})
