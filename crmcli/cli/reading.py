"""`crm show` and `crm list`."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from crmcli.cli.left_out import StrictOption, name_left_out
from crmcli.cli.output import TableFormat, write_csv, write_json, write_table
from crmcli.cli.reader import NoCacheOption, ReadAsOption, RoleOption, open_as_reader
from crmcli.core.terminal import visible
from crmcli.i18n import _, lazy

LATEST_ACTIVITIES = 5  # how many `crm show` lists, newest first
DEFAULT_COLUMNS = ("id", "name", "list", "assignee")

TableFormatOption = Annotated[
    TableFormat, typer.Option("--format", "-f", help=lazy("Output format."))
]


def register(app: typer.Typer) -> None:
    app.command(
        "show",
        help=lazy(
            "Show one record: every field, computed ones included, and the records that refer "
            "to it.\n\nExamples:\n\n  crm show opportunities/acme-corp-website\n\n"
            "  crm show clients/romashka --format json"
        ),
    )(show)
    app.command(
        "list",
        help=lazy(
            "List the records of a project, filtered with the formula language.\n\nExamples:\n\n"
            "  crm list opportunities --where \"outcome == 'open' and amount > 10000\" --sort -amount\n\n"
            "  crm list clients --columns name,email,won_total --format csv"
        ),
    )(list_records)


def show(
    ctx: typer.Context,
    reference: Annotated[
        str,
        typer.Argument(
            metavar="PROJECT/ID",
            help=_(
                "The record by id or exact name, e.g. opportunities/acme-website, clients/Ёлка."
            ),
        ),
    ],
    fmt: TableFormatOption = TableFormat.table,
    acting_as: ReadAsOption = None,
    role_name: RoleOption = None,
    no_cache: NoCacheOption = False,
) -> None:
    from crmcli.engine.present import Presenter, encrypted

    opened, reader = open_as_reader(ctx.obj.root, acting_as, role_name, no_cache, lazy=True)
    try:
        project, record = opened.record(reference)
    except KeyError:  # its file cannot be read: the whole load names it, as for every record
        opened, reader = open_as_reader(ctx.obj.root, acting_as, role_name, no_cache)
        project, record = opened.record(reference)
    opened.engine.compute_record(project, record)  # reads what its fields and backlinks need
    fields = reader.visible_fields(project)
    backlinks = opened.referring(project.key, record.id)
    if fmt is TableFormat.json:
        write_json(
            {
                "project": project.key,
                "id": record.id,
                "path": record.path,
                "fields": {
                    f.key: record.value(f.key) for f in fields if record.value(f.key) is not None
                },
                "referenced_by": [{"project": p, "id": i, "field": f} for p, i, f in backlinks],
            }
        )
        return
    presenter = Presenter(opened.workspace, opened.engine)
    rows = []
    for definition in fields:
        if encrypted(record, definition.key):
            rows.append([definition.label, _("(encrypted)"), ""])
            continue
        value = record.value(definition.key)
        if value is None or value == [] or definition.key in ("history", "activities"):
            continue
        shown = presenter.field_value(project, definition, value, with_id=True)
        rows.append([definition.label, shown, _("computed") if definition.computed else ""])
    if fmt is TableFormat.csv:
        write_csv([_("field"), _("value"), ""], rows)
        return
    sys.stdout.write(visible(f"{project.record_label(record)}  ({record.ref})") + "\n\n")
    write_table([_("field"), _("value"), ""], rows)
    _write_history(record, presenter)
    if "activities" in {f.key for f in fields}:
        write_latest_activities(record, presenter)
    if backlinks:
        sys.stdout.write("\n" + _("Referred to by") + "\n")
        write_table(
            [_("record"), _("name"), _("field")],
            [
                [f"{p}/{i}", opened.workspace.projects[p].records[i].name, f]
                for p, i, f in backlinks
            ],
        )


def _write_history(record: Any, presenter: Any) -> None:
    history = record.data.get("history")
    if not isinstance(history, list) or not history:
        return
    sys.stdout.write("\n" + _("History") + "\n")
    rows = [
        [
            presenter.formatter.value(None, entry.get("at")),
            entry.get("list", ""),
            presenter.member(entry["by"]) if entry.get("by") else "",
        ]
        for entry in history
        if isinstance(entry, dict)
    ]
    write_table([_("when"), _("list"), _("by")], rows)


def list_records(
    ctx: typer.Context,
    project_key: Annotated[
        str, typer.Argument(metavar="PROJECT", help=_("The project, e.g. opportunities."))
    ],
    where: Annotated[
        str | None,
        typer.Option(
            "--where",
            "-w",
            help=lazy("Keep records for which this expression is true."),
            show_default=False,
        ),
    ] = None,
    sort: Annotated[
        str | None,
        typer.Option(
            "--sort",
            "-s",
            help=lazy("Fields to sort by, comma-separated; -field sorts descending."),
            show_default=False,
        ),
    ] = None,
    columns: Annotated[
        str | None,
        typer.Option(
            "--columns",
            "-c",
            help=lazy("Fields to show, comma-separated (default: id,name,list,assignee)."),
            show_default=False,
        ),
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit", "-n", min=1, help=lazy("Show at most N records."), show_default=False
        ),
    ] = None,
    fmt: TableFormatOption = TableFormat.table,
    acting_as: ReadAsOption = None,
    role_name: RoleOption = None,
    strict: StrictOption = False,
    no_cache: NoCacheOption = False,
) -> None:
    from crmcli.core.left_out import left_out_records
    from crmcli.engine.present import Presenter, encrypted
    from crmcli.engine.query import parse_sort, require_field, select_records

    opened, reader = open_as_reader(ctx.obj.root, acting_as, role_name, no_cache)
    project = opened.project(project_key)
    name_left_out(left_out_records(opened.workspace, [project.key]), strict)
    names = [c.strip() for c in (columns.split(",") if columns else DEFAULT_COLUMNS) if c.strip()]
    for name in names:
        require_field(project, name)
    if columns:
        reader.refuse_hidden(project, names)
    else:
        names = [name for name in names if reader.may_see(project.key, name)]
    order = parse_sort(project, sort)
    reader.refuse_hidden(project, [key.field for key in order])
    records = select_records(opened.engine, project, where, order, limit, reader)
    scope = opened.engine.scope(project)

    def values(record: Any) -> list[Any]:
        scope.record = record
        return [scope.get(name) for name in names]

    if fmt is TableFormat.json:
        write_json([dict(zip(names, values(r), strict=True)) for r in records])
        return
    presenter = Presenter(opened.workspace, opened.engine)
    rows = [
        [
            _("(encrypted)") if encrypted(r, n) else presenter.value(project, n, v)
            for n, v in zip(names, values(r), strict=True)
        ]
        for r in records
    ]
    headers = [project.fields[n].label if n in project.fields else n for n in names]
    if fmt is TableFormat.csv:
        write_csv(names, rows)
    else:
        write_table(headers, rows)


def write_latest_activities(record: Any, presenter: Any) -> None:
    """`crm show`: the latest activities, newest first."""
    from crmcli.engine.activity import activities

    latest = sorted(activities(record), key=lambda entry: entry["at"].timestamp(), reverse=True)
    if not latest:
        return
    sys.stdout.write("\n" + _("Activities") + "\n")
    rows = [
        [
            presenter.formatter.value(None, entry["at"]),
            str(entry.get("type", "")),
            presenter.member(entry["by"]) if entry.get("by") else "",
            str(entry.get("text", "")),
        ]
        for entry in latest[:LATEST_ACTIVITIES]
    ]
    write_table([_("when"), _("type"), _("by"), _("what")], rows)
