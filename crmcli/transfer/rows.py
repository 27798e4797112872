"""One row of an imported file → the values of a record, typed by their fields.

Each cell is typed by its field (crmcli.fields.registry, in the workspace locale) after
--value-map; references are found through an index of the target project built once. An
import repeats the same stages, members, clients, dates and amounts, so each such text is
typed once. A cell that cannot be typed is a problem at its row and column, not an error.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from crmcli.core.lazy_records import is_safe_id
from crmcli.core.model import FieldDef, Project, Record, Workspace
from crmcli.core.problems import did_you_mean
from crmcli.errors import InvalidValueError, Problem, Severity, UsageError
from crmcli.fields.choices import split_list
from crmcli.fields.context import FieldContext
from crmcli.fields.record import ID_PATTERN
from crmcli.fields.references import ReferenceIndex
from crmcli.fields.registry import field_type
from crmcli.i18n import _, counted, ngettext
from crmcli.transfer.cells import ID, restore_formula
from crmcli.transfer.columns import ENTERED, Column
from crmcli.transfer.readers import Row, Table

# Cells whose value depends only on their text: an import repeats the same stages, members,
# options, clients, dates and amounts, so each text is read once (up to MAX_REMEMBERED).
_REPEATING_TYPES = frozenset(
    {"number", "currency", "percent", "date", "datetime", "checkbox", "rating", "select",
     "multi_select", "reference", "list", "tags", "member"}
)  # fmt: skip
MAX_REMEMBERED = 100_000
# what a spreadsheet would run: =…, or a sign then a function call or DDE (“+cmd|…”)
_FORMULA = re.compile(r"=|[+\-@]\s*[A-Za-z_][\w.]*[(|]")


@dataclass(slots=True)
class RowReader:
    """Reads rows into values; formula-like cells are kept as text with a warning."""

    table: Table
    columns: Sequence[Column]
    value_map: Mapping[str, str]
    context: FieldContext
    warnings: list[Problem]
    parsed: dict[tuple[str, str], tuple[Any, str]] = field(default_factory=dict, init=False)

    def values(self, row: Row, problems: list[Problem]) -> dict[str, Any]:
        """The row's values by field key (ID for the id); what cannot be read goes to problems."""
        width, cells = len(self.table.headers), row.cells
        if len(cells) < width or any(cell.strip() for cell in cells[width:]):
            problems.append(
                row_problem(
                    self.table,
                    row.number,
                    None,
                    "ragged-row",
                    ngettext(
                        "the row has {count} cell but the header has {width}; fix the row (a "
                        "missing or extra delimiter, or an unquoted line break?)",
                        "the row has {count} cells but the header has {width}; fix the row (a "
                        "missing or extra delimiter, or an unquoted line break?)",
                        len(cells),
                    ).format(count=counted(len(cells)), width=counted(width)),
                )
            )
            return {}
        values: dict[str, Any] = {}
        for column in self.columns:
            text = self._cell_text(row, column, cells[column.index])
            if not text:
                continue
            try:
                values[column.key] = self._parse(column, text)
            except (UsageError, InvalidValueError) as error:
                code = (
                    "unresolved-reference"
                    if column.field and column.field.type == "reference"
                    else "invalid-value"
                )
                problems.append(row_problem(self.table, row.number, column, code, error.message))
        return values

    def _cell_text(self, row: Row, column: Column, cell: str) -> str:
        """The cell's text: neutralised formulas restored, --value-map applied, surrounding
        spaces dropped (but not the line breaks of a long text)."""
        text = cell.strip()
        if column.field and column.field.type == "long_text" and text:
            text = cell.replace("\r\n", "\n")
        if _FORMULA.match(text):
            self.warnings.append(
                row_problem(
                    self.table,
                    row.number,
                    column,
                    "formula-like",
                    _(
                        "“{text}” looks like a spreadsheet formula; it is kept as text, and "
                        "exports neutralise it"
                    ).format(text=_shorten(text)),
                    Severity.WARNING,
                )
            )
        text = restore_formula(text)
        return self.value_map.get(text, text)

    def _parse(self, column: Column, text: str) -> Any:
        definition = column.field
        if definition is None:
            if not ID_PATTERN.match(text) or not is_safe_id(text):
                raise UsageError(
                    _("“{id}” is not a valid id: use lowercase letters, digits and dashes").format(
                        id=text
                    )
                )
            return text
        if definition.type in ("history", "checklist", "activities"):
            return _entries(definition, text)
        if definition.type == "dependencies":
            return split_list(text)
        if definition.type == "text":
            return text.replace("\r\n", "\n")
        if definition.type not in _REPEATING_TYPES:
            return field_type(definition).parse(text, self.context)
        found = self.parsed.get((definition.key, text))
        if found is None:
            try:
                found = (field_type(definition).parse(text, self.context), "")
            except (UsageError, InvalidValueError) as error:
                found = (None, error.message)
            if len(self.parsed) >= MAX_REMEMBERED:
                self.parsed.clear()
            self.parsed[definition.key, text] = found
        value, message = found
        if message:
            raise UsageError(message)
        return list(value) if isinstance(value, list) else value


def row_problem(
    table: Table,
    row: int,
    column: Column | None,
    code: str,
    message: str,
    severity: Severity = Severity.ERROR,
) -> Problem:
    """A problem at a row (and column) of the file, as a spreadsheet numbers them."""
    if column is None:
        text = _("row {row}: {message}").format(row=row, message=message)
    else:
        text = _("row {row}, column “{header}”: {message}").format(
            row=row, header=column.header, message=message
        )
    return Problem(
        str(table.path),
        row,
        column.index + 1 if column else 1,
        severity,
        code,
        text,
    )


# references


def check_references(workspace: Workspace, project: Project, references: Mapping[str, str]) -> None:
    """UsageError for a --ref naming no reference field, or a key field the target lacks."""
    for field_key, target_key in references.items():
        definition = project.fields.get(field_key)
        if definition is None or definition.type != "reference":
            fields = [f.key for f in project.fields.values() if f.type == "reference"]
            raise UsageError(
                _("--ref {field}: {project} has no reference field “{field}”{hint}").format(
                    field=field_key,
                    project=project.name,
                    hint=did_you_mean(field_key, fields),
                )
            )
        target = workspace.projects.get(definition.target_project or "")
        if target is not None and target_key not in (ID, *target.fields):
            raise UsageError(
                _("--ref {field}={key}: {project} has no field “{key}”{hint}").format(
                    field=field_key,
                    key=target_key,
                    project=target.name,
                    hint=did_you_mean(target_key, target.fields),
                )
            )


def reference_indexes(
    workspace: Workspace, columns: Iterable[Column], references: Mapping[str, str]
) -> dict[str, ReferenceIndex]:
    """For each reference column, its target's records by the key --ref names (default: name)."""
    indexes = {}
    for column in columns:
        definition = column.field
        if definition is None or definition.type != "reference":
            continue
        target = workspace.projects.get(definition.target_project or "")
        if target is not None:
            key = references.get(definition.key, "name")
            indexes[definition.key] = ReferenceIndex(target, key)
    return indexes


# values no other command types


def _entries(definition: FieldDef, text: str) -> list[Any]:
    """History and checklists travel as JSON in one cell (as `crm export` writes them)."""
    try:
        entries = json.loads(text)
    except json.JSONDecodeError:
        entries = None
    if not isinstance(entries, list):
        raise UsageError(
            _("{label}: “{text}” is not a JSON list of entries").format(
                label=definition.label, text=_shorten(text)
            )
        )
    for entry in entries:
        if isinstance(entry, dict) and isinstance(entry.get("at"), str):
            with contextlib.suppress(ValueError):  # else the history check says what is wrong
                entry["at"] = datetime.fromisoformat(entry["at"])
    return entries


def dated_move(
    record: Record, changes: dict[str, Any], entry: Callable[[str, datetime], dict[str, Any]]
) -> None:
    """An update's `entered` dates the history entry of the list the row moves the record to;
    a row that leaves the record in its list leaves its history alone (so importing the same
    file again changes nothing)."""
    at = changes.pop(ENTERED, None)
    if at is not None and "list" in changes:
        history = record.data.get("history")
        earlier = history if isinstance(history, list) else []
        changes["history"] = [*earlier, entry(changes["list"], at)]


def union(first: Iterable[str], second: Iterable[str]) -> list[str]:
    """Tags of both, each once, in order: a row's tags and the --tag ones."""
    return list(dict.fromkeys([*first, *second]))


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
