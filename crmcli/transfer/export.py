"""`crm export`: records with their computed fields, for any other tool.

CSV and JSON hold one project; Excel a sheet and SQLite a table per project. Values are
written as machines read them (12000.5, 2026-12-31, ids for references), so that a CSV export
imports back into the same records; text a spreadsheet would run as a formula is neutralised.
Every format here is read by a machine (a spreadsheet's cells are numbers and dates it can sum
and sort), so none goes through the presenter (`engine/present.py`): names and locale forms are
for `crm show` and `crm list`. Fields hidden from the reader are left out, with every computed
field derived from them.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from crmcli.core.model import FieldDef, Project, Record
from crmcli.core.yamlio import jsonable
from crmcli.engine.reader import Reader
from crmcli.engine.workspace import OpenWorkspace
from crmcli.errors import CrmError, UsageError
from crmcli.fields.formatting import Formatter
from crmcli.formulas.values import BOOL, NUMBER
from crmcli.i18n import _
from crmcli.transfer.cells import ID, cell_text, neutralise_formula, write_csv_rows


@dataclass(frozen=True, slots=True)
class Sheet:
    """One project's records and the fields the reader may see, in schema order."""

    project: Project
    fields: list[FieldDef]
    records: list[Record]

    @property
    def headers(self) -> list[str]:
        return [ID, *(f.key for f in self.fields)]

    def values(self, record: Record) -> list[Any]:
        return [record.id, *(record.value(f.key) for f in self.fields)]


def sheets(opened: OpenWorkspace, project_keys: Sequence[str], reader: Reader) -> list[Sheet]:
    """The projects to export, with the fields the reader may see."""
    found = []
    for key in project_keys:
        project = opened.project(key)
        found.append(Sheet(project, reader.visible_fields(project), list(project.records.values())))
    return found


# text formats


@dataclass(frozen=True, slots=True)
class CsvDialect:
    """What a spreadsheet of a country splits and reads: French and Russian Excel expect `;`
    between cells (the comma is their decimal mark) and a BOM to read UTF-8."""

    delimiter: str
    decimal_comma: bool
    bom: bool


CSV_DIALECTS = {
    "excel": CsvDialect(",", decimal_comma=False, bom=True),
    "excel-fr": CsvDialect(";", decimal_comma=True, bom=True),
    "rfc4180": CsvDialect(",", decimal_comma=False, bom=False),
}
DECIMAL_COMMA_LANGUAGES = frozenset({"fr", "ru"})


def default_dialect(locale: str) -> str:
    """`excel-fr` for French and Russian workspaces, plain RFC 4180 CSV elsewhere."""
    language = locale.replace("-", "_").split("_")[0].lower()
    return "excel-fr" if language in DECIMAL_COMMA_LANGUAGES else "rfc4180"


def write_csv(sheet: Sheet, out: TextIO, dialect: str = "rfc4180") -> None:
    chosen = CSV_DIALECTS[dialect]
    rows = (
        [neutralise_formula(_csv_cell(v, chosen)) for v in sheet.values(record)]
        for record in sheet.records
    )
    if chosen.bom:
        out.write("\ufeff")
    write_csv_rows(out, [sheet.headers, *rows], delimiter=chosen.delimiter)


def _csv_cell(value: Any, dialect: CsvDialect) -> str:
    text = cell_text(value)
    number = isinstance(value, int | float) and not isinstance(value, bool)
    return text.replace(".", ",") if number and dialect.decimal_comma else text


def write_json(exported: Sequence[Sheet], out: TextIO, one_project: bool) -> None:
    def objects(sheet: Sheet) -> list[dict[str, Any]]:
        return [
            dict(zip(sheet.headers, jsonable(sheet.values(record)), strict=True))
            for record in sheet.records
        ]

    data: Any = (
        objects(exported[0])
        if one_project
        else {sheet.project.key: objects(sheet) for sheet in exported}
    )
    json.dump(data, out, ensure_ascii=False, indent=2)
    out.write("\n")


# Excel


def write_xlsx(exported: Sequence[Sheet], path: Path, formatter: Formatter) -> None:
    """A sheet per project for people: the fields' labels as headers (which `crm import`
    reads back), amounts and dates in number formats, a frozen header row and a filter."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    for sheet in exported:
        worksheet = workbook.create_sheet(_sheet_title(sheet.project))
        worksheet.freeze_panes = "A2"
        worksheet.auto_filter.ref = (
            f"A1:{get_column_letter(len(sheet.headers))}{len(sheet.records) + 1}"
        )
        worksheet.append(_labels(sheet))
        formats = [None, *(_number_format(f, formatter) for f in sheet.fields)]
        for record in sheet.records:
            row = []
            for value, number_format in zip(sheet.values(record), formats, strict=True):
                cell = WriteOnlyCell(worksheet, _xlsx_cell(value))
                if number_format and isinstance(cell.value, int | float | date):
                    cell.number_format = number_format
                row.append(cell)
            worksheet.append(row)
    with _replacing(path) as temporary:
        workbook.save(temporary)


def _labels(sheet: Sheet) -> list[str]:
    """Labels as headers; a label two fields share is told apart by the field's key."""
    labels = [f.label for f in sheet.fields]
    return [ID] + [
        label if labels.count(label) == 1 else f"{label} ({f.key})"
        for label, f in zip(labels, sheet.fields, strict=True)
    ]


def _number_format(definition: FieldDef, formatter: Formatter) -> str | None:
    """Excel's number format for a field: money with its symbol, dates in the locale's
    order (Excel then shows its own separators)."""
    kind = definition.shown_as
    if kind == "currency":
        return formatter.excel_money_format(definition.currency)
    if kind == "date":
        return formatter.excel_date_format()
    if kind == "percent":
        return '0.0" %"'
    return None


def _xlsx_cell(value: Any) -> Any:
    from datetime import datetime

    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, bool | int | float) or (
        isinstance(value, date) and not isinstance(value, datetime)
    ):
        return value  # numbers and dates as Excel's own; moments keep their offset as text
    text = ILLEGAL_CHARACTERS_RE.sub("", cell_text(value))
    return neutralise_formula(text) or None


def _sheet_title(project: Project) -> str:
    title = "".join("_" if c in "[]:*?/\\" else c for c in project.name).strip("'")
    return title[:31] or project.key[:31]


# SQLite


def write_sqlite(exported: Sequence[Sheet], path: Path, type_of: Callable[[str, str], str]) -> None:
    """A table per project (id primary key), a single reference as a foreign key to the
    table it names, several references as a link table `project__field`; lists and history
    as JSON text."""
    import sqlite3

    tables = {sheet.project.key for sheet in exported}
    with _replacing(path) as temporary:
        connection = sqlite3.connect(temporary)
        try:
            for sheet in exported:
                _sqlite_table(connection, sheet, tables, type_of)
            connection.commit()
        finally:
            connection.close()


def _sqlite_table(
    connection: Any, sheet: Sheet, tables: set[str], type_of: Callable[[str, str], str]
) -> None:
    project = sheet.project
    links = [f for f in sheet.fields if f.type == "reference" and f.multiple]
    columns = [f for f in sheet.fields if f not in links]
    definitions = [f"{_quoted(ID)} TEXT PRIMARY KEY"]
    for definition in columns:
        target = _target(definition, tables)
        if target:
            definitions.append(
                f"{_quoted(definition.key)} TEXT REFERENCES {_quoted(target)}({_quoted(ID)})"
            )
        else:
            sql_type = {NUMBER: "NUMERIC", BOOL: "INTEGER"}.get(
                type_of(project.key, definition.key), "TEXT"
            )
            definitions.append(f"{_quoted(definition.key)} {sql_type}")
    connection.execute(f"CREATE TABLE {_quoted(project.key)} ({', '.join(definitions)})")
    placeholders = ", ".join("?" * (len(columns) + 1))
    connection.executemany(
        f"INSERT INTO {_quoted(project.key)} VALUES ({placeholders})",
        (
            [record.id, *(_sqlite_value(record.value(f.key)) for f in columns)]
            for record in sheet.records
        ),
    )
    for definition in links:
        _sqlite_links(connection, sheet, definition, tables)


def _sqlite_links(connection: Any, sheet: Sheet, definition: FieldDef, tables: set[str]) -> None:
    table = f"{sheet.project.key}__{definition.key}"
    target = _target(definition, tables)
    reference = f" REFERENCES {_quoted(target)}({_quoted(ID)})" if target else ""
    connection.execute(
        f"CREATE TABLE {_quoted(table)} ("
        f"{_quoted(ID)} TEXT NOT NULL REFERENCES {_quoted(sheet.project.key)}({_quoted(ID)}), "
        f"{_quoted(definition.key)} TEXT NOT NULL{reference}, "
        f"PRIMARY KEY ({_quoted(ID)}, {_quoted(definition.key)}))"
    )
    connection.executemany(
        f"INSERT OR IGNORE INTO {_quoted(table)} VALUES (?, ?)",
        (
            (record.id, target_id)
            for record in sheet.records
            for target_id in record.value(definition.key) or []
            if isinstance(target_id, str)
        ),
    )


def _target(definition: FieldDef, tables: set[str]) -> str | None:
    target = definition.target_project if definition.type == "reference" else None
    return target if isinstance(target, str) and target in tables else None


def _sqlite_value(value: Any) -> Any:
    if value is None or isinstance(value, int | float | str):
        return value
    if isinstance(value, date):
        return value.isoformat()
    return json.dumps(jsonable(value), ensure_ascii=False)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# files


@contextmanager
def _replacing(path: Path) -> Iterator[Path]:
    """A temp file beside `path` that replaces it only if writing it succeeded."""
    if path.is_dir():
        raise UsageError(_("{path} is a folder; give a file name").format(path=path))
    if not path.parent.is_dir():
        raise CrmError(
            _("cannot write {path}: the folder {folder} does not exist").format(
                path=path, folder=path.parent
            )
        )
    try:
        descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise CrmError(
            _("cannot write into the folder {folder}: {reason}").format(
                folder=path.parent, reason=error.strerror or error
            )
        ) from None
    os.close(descriptor)
    temporary = Path(name)
    try:
        temporary.unlink()  # sqlite and openpyxl create the file themselves
        yield temporary
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)


@contextmanager
def output_file(path: Path) -> Iterator[TextIO]:
    """A text file written whole or not at all."""
    with _replacing(path) as temporary, temporary.open("w", encoding="utf-8", newline="") as out:
        yield out
