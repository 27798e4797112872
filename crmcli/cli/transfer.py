"""`crm import` and `crm export`."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from crmcli.cli.left_out import StrictOption, name_left_out
from crmcli.cli.output import problem_line
from crmcli.cli.reader import (
    ActAsOption,
    NoCacheOption,
    ReadAsOption,
    RoleOption,
    open_as_reader,
)
from crmcli.errors import CrmError, UsageError
from crmcli.i18n import _, counted, lazy, ngettext
from crmcli.i18n.lists import and_list

if TYPE_CHECKING:
    from crmcli.transfer.importing import ImportOptions, ImportResult, RowOutcome

PROGRESS_BAR_BYTES = 1_000_000  # a smaller file is imported before a bar would be read


class CsvDialectName(StrEnum):
    excel = "excel"
    excel_fr = "excel-fr"
    rfc4180 = "rfc4180"


class DuplicateChoice(StrEnum):
    warn = "warn"
    skip = "skip"
    update = "update"


class ExportFormat(StrEnum):
    csv = "csv"
    json = "json"
    xlsx = "xlsx"
    sqlite = "sqlite"


def register(app: typer.Typer) -> None:
    app.command(
        "import",
        help=lazy(
            "Import the rows of a CSV or Excel file as records: nothing is written unless "
            "every row is valid (or --skip-invalid).\n\nExamples:\n\n"
            "  crm import clients clients.csv --list Prospects --tag salon-2026\n\n"
            '  crm import opportunities pipeline.xlsx --map "deal_stage=list" '
            '--map "account=client" --value-map "GTXPro=GTX Pro"\n\n'
            "  crm import clients update.csv --key email --dry-run"
        ),
    )(import_command)
    app.command(
        "export",
        help=lazy(
            "Export records with their computed fields as CSV, JSON, Excel or SQLite.\n\n"
            "Examples:\n\n  crm export opportunities --format csv > opportunities.csv\n\n"
            "  crm export clients --format xlsx --out clients.xlsx --role junior\n\n"
            "  crm export --format sqlite --out crm.sqlite"
        ),
    )(export_command)


def _pairs(option: str, items: list[str] | None) -> dict[str, str]:
    pairs = {}
    for item in items or []:
        left, equals, right = item.partition("=")
        if not equals or not left.strip():
            raise UsageError(
                _("{option} “{item}”: write LEFT=RIGHT").format(option=option, item=item)
            )
        pairs[left.strip()] = right.strip()
    return pairs


def import_command(
    ctx: typer.Context,
    project: Annotated[str, typer.Argument(metavar="PROJECT")],
    file: Annotated[Path, typer.Argument(metavar="FILE", help=_("A .csv or .xlsx file."))],
    mapping: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            metavar="HEADER=FIELD",
            help=lazy(
                "Fill FIELD (or name, list, tags, assignee, id, created, or entered: when the "
                "record entered its list) from the column HEADER; HEADER= skips the column "
                "(repeatable)."
            ),
            show_default=False,
        ),
    ] = None,
    mapping_file: Annotated[
        Path | None,
        typer.Option(
            "--mapping",
            metavar="FILE",
            help=lazy("A YAML file with columns:, values:, references:, key:, list:, tags:."),
            show_default=False,
        ),
    ] = None,
    value_map: Annotated[
        list[str] | None,
        typer.Option(
            "--value-map",
            metavar="TEXT=VALUE",
            help=lazy("Read a cell holding TEXT as VALUE, e.g. a known misspelling (repeatable)."),
            show_default=False,
        ),
    ] = None,
    references: Annotated[
        list[str] | None,
        typer.Option(
            "--ref",
            metavar="FIELD=KEY",
            help=lazy(
                "Find the records a reference FIELD names by their KEY field (default: name)."
            ),
            show_default=False,
        ),
    ] = None,
    list_name: Annotated[
        str | None,
        typer.Option(
            "--list",
            "-l",
            help=lazy("List of new records without one (default: the first)."),
            show_default=False,
        ),
    ] = None,
    tags: Annotated[
        list[str] | None,
        typer.Option(
            "--tag", "-t", help=lazy("Tag every record (repeatable)."), show_default=False
        ),
    ] = None,
    key: Annotated[
        str | None,
        typer.Option(
            "--key",
            metavar="FIELD",
            help=lazy("Update the record whose FIELD matches the row; create the others."),
            show_default=False,
        ),
    ] = None,
    sheet: Annotated[
        str | None,
        typer.Option(
            "--sheet", help=lazy("The Excel sheet (default: the first)."), show_default=False
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help=lazy("Say what would be created, updated and rejected.")),
    ] = False,
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help=lazy("Import the valid rows, report the others."))
    ] = False,
    on_duplicate: Annotated[
        DuplicateChoice,
        typer.Option(
            "--on-duplicate",
            help=lazy(
                "A row that likely duplicates a record: create it and warn, skip it, or "
                "update that record. A row identical to a record is never created twice."
            ),
        ),
    ] = DuplicateChoice.warn,
    acting_as: ActAsOption = None,
) -> None:
    from crmcli.transfer.importing import ImportOptions, import_file
    from crmcli.transfer.mapping_file import read_recipe

    recipe = read_recipe(mapping_file) if mapping_file else {}
    options = ImportOptions(
        mapping={**recipe.get("columns", {}), **_pairs("--map", mapping)},
        value_map={**recipe.get("values", {}), **_pairs("--value-map", value_map)},
        references={**recipe.get("references", {}), **_pairs("--ref", references)},
        default_list=list_name or recipe.get("list"),
        default_tags=[*recipe.get("tags", []), *(tags or [])],
        key=key or recipe.get("key"),
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        sheet=sheet,
        on_duplicate=on_duplicate.value,
    )
    root = ctx.obj.root
    on_row = _print_plan if dry_run else None
    with _progress_bar(file, rows_on_terminal=dry_run and sys.stdout.isatty()) as on_progress:
        result = import_file(root, project, file, options, acting_as, on_row, on_progress)
    _report(root, result, options)


def _print_plan(outcome: RowOutcome) -> None:
    if outcome.kind == "reject":
        return  # the problems follow, on stderr
    message = {
        "create": _("row {row}: would create {record}: {summary}"),
        "update": _("row {row}: would update {record}: {summary}"),
        "unchanged": _("row {row}: {record} unchanged"),
    }[outcome.kind]
    line = message.format(row=outcome.row, record=outcome.record, summary=outcome.summary)
    sys.stdout.write(line + "\n")


def _report(root: Path, result: ImportResult, options: ImportOptions) -> None:
    for problem in [*result.warnings, *result.problems]:
        sys.stderr.write(problem_line(root, problem) + "\n")
    counts = ngettext(
        "{rows} row read ({source}): {created} created, {updated} updated, "
        "{unchanged} unchanged, {rejected} rejected",
        "{rows} rows read ({source}): {created} created, {updated} updated, "
        "{unchanged} unchanged, {rejected} rejected",
        result.rows,
    ).format(
        rows=counted(result.rows),
        source=result.source,
        created=counted(result.created),
        updated=counted(result.updated),
        unchanged=counted(result.unchanged),
        rejected=counted(result.rejected),
    )
    if options.dry_run:
        sys.stdout.write(_("dry run, nothing written: {counts}").format(counts=counts) + "\n")
        if result.rejected and not options.skip_invalid:
            raise CrmError(
                ngettext(
                    "{count} row would be rejected",
                    "{count} rows would be rejected",
                    result.rejected,
                ).format(count=counted(result.rejected))
            )
        return
    if result.refused:
        raise CrmError(
            ngettext(
                "nothing was written: {count} row rejected; fix it, or import the others "
                "with --skip-invalid",
                "nothing was written: {count} rows rejected; fix them, or import the others "
                "with --skip-invalid",
                result.rejected,
            ).format(count=counted(result.rejected))
        )
    sys.stdout.write(
        _("imported into {project}: {counts}").format(project=result.project, counts=counts) + "\n"
    )


@contextmanager
def _progress_bar(file: Path, rows_on_terminal: bool) -> Iterator[Callable[[float], None] | None]:
    """A progress bar on stderr for a large file, when stderr is a terminal (not when a dry
    run prints its rows on the same terminal: they show the progress themselves)."""
    large = file.is_file() and file.stat().st_size > PROGRESS_BAR_BYTES
    if not (large and sys.stderr.isatty() and not rows_on_terminal):
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn(_("importing")),
        BarColumn(),
        TaskProgressColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
        redirect_stdout=False,  # rows a dry run prints go straight to their file
        redirect_stderr=False,
    ) as progress:
        task = progress.add_task("import", total=1.0)
        yield lambda fraction: progress.update(task, completed=fraction)


def export_command(
    ctx: typer.Context,
    project: Annotated[
        str | None,
        typer.Argument(
            metavar="[PROJECT]",
            help=_("The project (xlsx, json and sqlite: every project when left out)."),
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[
        ExportFormat, typer.Option("--format", "-f", help=lazy("Output format."))
    ] = ExportFormat.csv,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help=lazy(
                "The file to write (csv and json: standard output by default; xlsx and "
                "sqlite: PROJECT.xlsx, crm.sqlite)."
            ),
            show_default=False,
        ),
    ] = None,
    dialect: Annotated[
        CsvDialectName | None,
        typer.Option(
            "--dialect",
            help=_(
                "CSV for which reader: excel (comma, UTF-8 with BOM), excel-fr (semicolon, "
                "decimal comma, UTF-8 with BOM) or rfc4180 (comma, no BOM). Default: excel-fr "
                "for French and Russian workspaces, rfc4180 otherwise."
            ),
            show_default=False,
        ),
    ] = None,
    acting_as: ReadAsOption = None,
    role_name: RoleOption = None,
    strict: StrictOption = False,
    no_cache: NoCacheOption = False,
) -> None:
    from crmcli.core.left_out import left_out_records
    from crmcli.fields.formatting import Formatter
    from crmcli.transfer.export import (
        default_dialect,
        sheets,
        write_csv,
        write_json,
        write_sqlite,
        write_xlsx,
    )

    kind = fmt
    if project is None and kind is ExportFormat.csv:
        raise UsageError(_("a CSV file holds one project: name it (crm export PROJECT)"))
    opened, reader = open_as_reader(ctx.obj.root, acting_as, role_name, no_cache)
    keys = [project] if project else list(opened.workspace.projects)
    exported = sheets(opened, keys, reader)
    name_left_out(left_out_records(opened.workspace, [s.project.key for s in exported]), strict)
    if kind is ExportFormat.csv:
        chosen = dialect or default_dialect(opened.workspace.config.locale)
        _write_text(out, lambda stream: write_csv(exported[0], stream, chosen))
    elif kind is ExportFormat.json:
        _write_text(out, lambda stream: write_json(exported, stream, one_project=bool(project)))
    else:
        target = out or Path(f"{project or 'crm'}.{kind}")
        if kind is ExportFormat.xlsx:
            write_xlsx(exported, target, Formatter.for_workspace(opened.workspace.config))
        else:
            write_sqlite(exported, target, opened.engine.type_of_field)
        total = sum(len(sheet.records) for sheet in exported)
        sys.stdout.write(
            ngettext(
                "wrote {count} record of {projects} to {path}",
                "wrote {count} records of {projects} to {path}",
                total,
            ).format(
                count=counted(total),
                projects=and_list(s.project.name for s in exported),
                path=target,
            )
            + "\n"
        )


def _write_text(out: Path | None, write: Any) -> None:
    from crmcli.transfer.export import output_file

    if out is None:
        write(sys.stdout)
        return
    with output_file(out) as stream:
        write(stream)
