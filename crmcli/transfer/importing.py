"""`crm import`: the rows of a CSV or Excel file become records, all checked before any is written.

One pass reads the file row by row. Each cell is typed by its field (crmcli.fields.registry, in the
workspace locale), references are resolved through an index built once, and each record is
checked with the rules of `crm check`. A new record is rendered at once and spooled to a
temporary file, so memory stays bounded however long the file is; an update (--key) keeps
only the values that change. Only when every row passed (or with --skip-invalid) does the
second pass write: updates through the round-trip writer (minimal diffs), new files in one
batch. Both passes run under the workspace lock, so what was checked is what is written.
"""

from __future__ import annotations

import contextlib
import json
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from crmcli.core.loader import STATE_DIR, is_safe_id
from crmcli.core.model import FieldDef, Project, Record
from crmcli.core.problems import did_you_mean
from crmcli.core.yamlio import (
    MAX_CONFIG_BYTES,
    YamlReadError,
    key_positions,
    locate,
    parse,
    read_text,
)
from crmcli.editing.editor import Editor, make_id
from crmcli.editing.lock import workspace_lock
from crmcli.editing.writer import PendingWrite, RecordFile, create_files, write_all_atomically
from crmcli.engine.reader import workspace_now
from crmcli.errors import CrmError, Problem, Severity, UsageError
from crmcli.fields.choices import split_list
from crmcli.fields.context import FieldContext
from crmcli.fields.record import ID_PATTERN, RecordChecker
from crmcli.fields.references import ReferenceIndex
from crmcli.fields.registry import field_type
from crmcli.i18n import _
from crmcli.transfer.cells import restore_formula
from crmcli.transfer.readers import Row, Table, open_table

ID = "id"  # a column holding the record's id (as `crm export` writes it)
PROGRESS_EVERY = 500
# Cells whose value depends only on their text: an import repeats the same stages, members,
# options, clients, dates and amounts, so each text is read once (up to MAX_REMEMBERED).
_REPEATING_TYPES = frozenset(
    {"number", "currency", "percent", "date", "datetime", "checkbox", "rating", "select",
     "multi_select", "reference", "list", "tags", "member"}
)  # fmt: skip
MAX_REMEMBERED = 100_000
SPOOL_IN_MEMORY_BYTES = 4 * 1024 * 1024  # then the spool goes to a temp file
# what a spreadsheet would run: =…, or a sign then a function call or DDE (“+cmd|…”)
_FORMULA = re.compile(r"=|[+\-@]\s*[A-Za-z_][\w.]*[(|]")


@dataclass(frozen=True, slots=True)
class ImportOptions:
    mapping: Mapping[str, str] = field(default_factory=dict)  # header → field ("": skip it)
    value_map: Mapping[str, str] = field(default_factory=dict)  # cell text → what it means
    references: Mapping[str, str] = field(default_factory=dict)  # reference → target's key
    default_list: str | None = None
    default_tags: Sequence[str] = ()
    key: str | None = None
    dry_run: bool = False
    skip_invalid: bool = False
    sheet: str | None = None


@dataclass(frozen=True, slots=True)
class RowOutcome:
    """What happens to one row: kind is create, update, unchanged or reject."""

    kind: str
    row: int
    record: str
    summary: str


@dataclass(slots=True)
class ImportResult:
    project: str
    source: str  # how the file was read: “UTF-8, “;””
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    written: bool = False

    @property
    def refused(self) -> bool:
        """Rejected rows stop the whole import unless they were to be skipped."""
        return bool(self.rejected) and not self.written


@dataclass(frozen=True, slots=True)
class Column:
    index: int
    header: str
    field: FieldDef | None  # None: the record's id

    @property
    def key(self) -> str:
        return self.field.key if self.field else ID


def import_file(
    root: Path,
    project_key: str,
    path: Path,
    options: ImportOptions,
    acting_as: str | None = None,
    on_row: Callable[[RowOutcome], None] | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> ImportResult:
    """Import `path` into the project; nothing is written if a row is rejected (unless
    skip_invalid) or on a dry run."""
    editor = Editor(root, acting_as)
    project = editor.project(project_key)
    table = open_table(path, options.sheet, editor.workspace.config.locale)
    try:
        with workspace_lock(root):
            importer = _Importer(editor, project, table, options, on_row, on_progress)
            return importer.run()
    finally:
        table.close()


class _Importer:
    def __init__(
        self,
        editor: Editor,
        project: Project,
        table: Table,
        options: ImportOptions,
        on_row: Callable[[RowOutcome], None] | None,
        on_progress: Callable[[float], None] | None,
    ) -> None:
        self.editor = editor
        self.project = project
        self.table = table
        self.options = options
        self.on_row = on_row or (lambda outcome: None)
        self.on_progress = on_progress or (lambda fraction: None)
        self.result = ImportResult(project.key, table.description)
        self.columns, ignored = map_columns(project, table.headers, options.mapping)
        self.by_field = {column.key: column for column in self.columns}
        self._check_options()
        editor.refuse_read_only(project, [c.key for c in self.columns if c.field])
        if ignored:
            self.result.warnings.append(
                self._problem(
                    table.header_row,
                    ignored[0],
                    "computed-column",
                    _("computed in {project}, so ignored: {columns}").format(
                        project=project.name, columns=", ".join(c.header for c in ignored)
                    ),
                    Severity.WARNING,
                )
            )
        self.now = workspace_now(editor.workspace)
        self.default_tags = self._default_tags()
        self.updates: list[tuple[Record, dict[str, Any]]] = []
        self.seen_keys: dict[str, int] = {}
        self.parsed: dict[tuple[str, str], tuple[Any, str]] = {}

    # options

    def _check_options(self) -> None:
        project, options = self.project, self.options
        if "name" not in self.by_field and options.key is None:
            raise UsageError(
                _(
                    'no column gives the {record}\'s name; map one with --map "HEADER=name" '
                    "(columns: {headers})"
                ).format(record=project.record_name, headers=", ".join(self.table.headers))
            )
        if options.key is not None and options.key not in self.by_field:
            raise UsageError(
                _('--key {key}: no column fills {key} (map one with --map "HEADER={key}")').format(
                    key=options.key
                )
            )
        for field_key, target_key in options.references.items():
            definition = project.fields.get(field_key)
            if definition is None or definition.type != "reference":
                references = [f.key for f in project.fields.values() if f.type == "reference"]
                raise UsageError(
                    _("--ref {field}: {project} has no reference field “{field}”{hint}").format(
                        field=field_key,
                        project=project.name,
                        hint=did_you_mean(field_key, references),
                    )
                )
            target = self.editor.workspace.projects.get(definition.target_project or "")
            if target is not None and target_key not in (ID, *target.fields):
                raise UsageError(
                    _("--ref {field}={key}: {project} has no field “{key}”{hint}").format(
                        field=field_key,
                        key=target_key,
                        project=target.name,
                        hint=did_you_mean(target_key, target.fields),
                    )
                )

    def _default_tags(self) -> list[str]:
        if not self.options.default_tags:
            return []
        if "tags" not in self.project.fields:
            raise UsageError(_("{project} has no tags").format(project=self.project.name))
        context = FieldContext(self.editor.workspace, self.project, self.now.date())
        return field_type(self.project.fields["tags"]).parse(
            ",".join(self.options.default_tags), context
        )

    def _default_list(self) -> str | None:
        project = self.project
        if "list" not in project.fields or not project.lists:
            if self.options.default_list:
                raise UsageError(_("{project} has no lists").format(project=project.name))
            return None
        if self.options.default_list is None:
            return next(iter(project.lists))
        context = FieldContext(self.editor.workspace, project, self.now.date())
        return field_type(project.fields["list"]).parse(self.options.default_list, context)

    # the two passes

    def run(self) -> ImportResult:
        with tempfile.SpooledTemporaryFile(
            SPOOL_IN_MEMORY_BYTES, mode="w+", encoding="utf-8"
        ) as spool:
            self.spool: IO[str] = spool  # the new records' files, until they are written
            return self._run()

    def _run(self) -> ImportResult:
        self.list_name = self._default_list()
        self.context = FieldContext(
            self.editor.workspace, self.project, self.now.date(), self._reference_indexes()
        )
        self.checker = RecordChecker(self.context)
        self.keys = ReferenceIndex(self.project, self.options.key) if self.options.key else None
        self.taken = set(self.project.records)
        for row in self.table.rows():
            self.result.rows += 1
            self._import_row(row)
            if self.result.rows % PROGRESS_EVERY == 0:
                self.on_progress(self.table.progress())
        self.on_progress(1.0)
        if self.result.rows == 0:
            raise CrmError(
                _("{path}: the file has a header but no rows; nothing was imported").format(
                    path=self.table.path
                )
            )
        if not self.options.dry_run and (not self.result.rejected or self.options.skip_invalid):
            self._write()
        return self.result

    def _reference_indexes(self) -> dict[str, ReferenceIndex]:
        indexes = {}
        for column in self.columns:
            definition = column.field
            if definition is None or definition.type != "reference":
                continue
            target = self.editor.workspace.projects.get(definition.target_project or "")
            if target is not None:
                key = self.options.references.get(definition.key, "name")
                indexes[definition.key] = ReferenceIndex(target, key)
        return indexes

    def _write(self) -> None:
        pending = []
        for record, changes in self.updates:
            document = RecordFile.open(self.editor.root / record.path, record.path)
            self.editor.write_values(self.project, document, changes)
            pending.append(PendingWrite(document.path, document.render(), document.original_sha))
        write_all_atomically(pending)
        self.spool.seek(0)
        root = self.editor.root
        create_files(
            ((root / path, text) for path, text in map(json.loads, self.spool)),
            staging=root / STATE_DIR,
        )
        self.result.written = True

    # one row

    def _import_row(self, row: Row) -> None:
        problems: list[Problem] = []
        outcome = self._plan_row(row, problems)
        if problems or outcome is None:
            self.result.rejected += 1
            self.result.problems.extend(problems)
            outcome = RowOutcome("reject", row.number, "", problems[0].message)
        self.on_row(outcome)

    def _plan_row(self, row: Row, problems: list[Problem]) -> RowOutcome | None:
        values = self._read_cells(row, problems)
        if problems:
            return None
        record_id = self._existing(row, values, problems)
        if problems:
            return None
        if record_id is not None:
            return self._update(row, record_id, values, problems)
        return self._create(row, values, problems)

    def _read_cells(self, row: Row, problems: list[Problem]) -> dict[str, Any]:
        width, cells = len(self.table.headers), row.cells
        if len(cells) < width or any(cell.strip() for cell in cells[width:]):
            problems.append(
                self._problem(
                    row.number,
                    None,
                    "ragged-row",
                    _(
                        "the row has {count} cells but the header has {width}; fix the row (a "
                        "missing or extra delimiter, or an unquoted line break?)"
                    ).format(count=len(cells), width=width),
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
            except UsageError as error:
                code = (
                    "unresolved-reference"
                    if column.field and column.field.type == "reference"
                    else "invalid-value"
                )
                problems.append(self._problem(row.number, column, code, error.message))
        return values

    def _cell_text(self, row: Row, column: Column, cell: str) -> str:
        """The cell's text: neutralised formulas restored, --value-map applied, surrounding
        spaces dropped (but not the line breaks of a long text)."""
        text = cell.strip()
        if column.field and column.field.type == "long_text" and text:
            text = cell.replace("\r\n", "\n")
        if _FORMULA.match(text):
            self.result.warnings.append(
                self._problem(
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
        return self.options.value_map.get(text, text)

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
        if definition.type in ("history", "checklist"):
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
            except UsageError as error:
                found = (None, error.message)
            if len(self.parsed) >= MAX_REMEMBERED:
                self.parsed.clear()
            self.parsed[definition.key, text] = found
        value, message = found
        if message:
            raise UsageError(message)
        return list(value) if isinstance(value, list) else value

    def _existing(self, row: Row, values: dict[str, Any], problems: list[Problem]) -> str | None:
        """The id of the record this row updates (--key), else None; duplicate keys are problems."""
        key = self.options.key or (ID if ID in values else None)
        if key is None or values.get(key) is None:
            return None
        column = self.by_field[key]
        folded = str(values[key]).strip().casefold()
        first = self.seen_keys.setdefault(folded, row.number)
        if first != row.number:
            problems.append(
                self._problem(
                    row.number,
                    column,
                    "duplicate-key",
                    _("{key} “{value}” is also on row {first}: one row per record").format(
                        key=key, value=values[key], first=first
                    ),
                )
            )
            return None
        if self.keys is None:
            return None
        matches = self.keys.matches(values[key])
        if len(matches) > 1:
            problems.append(
                self._problem(
                    row.number,
                    column,
                    "ambiguous-key",
                    _(
                        "several {records} have {key} “{value}”: {ids}; the row cannot tell which "
                        "to update"
                    ).format(
                        records=self.project.name,
                        key=key,
                        value=values[key],
                        ids=", ".join(matches),
                    ),
                )
            )
            return None
        return matches[0] if matches else None

    def _create(
        self, row: Row, values: dict[str, Any], problems: list[Problem]
    ) -> RowOutcome | None:
        project = self.project
        data = {key: value for key, value in values.items() if key != ID}
        if self.list_name is not None:
            data.setdefault("list", self.list_name)
        if self.default_tags:
            data["tags"] = _union(data.get("tags", []), self.default_tags)
        record_id = values.get(ID) or self._free_id(str(data.get("name", "")))
        if record_id is None:
            message = (
                _("the name gives no usable id (it has no letters or digits)")
                if data.get("name")
                else _("a new {record} needs a name").format(record=project.record_name)
            )
            problems.append(self._problem(row.number, self.by_field.get("name"), "no-id", message))
            return None
        if record_id in self.taken:
            problems.append(
                self._problem(
                    row.number,
                    self.by_field[ID],
                    "exists",
                    _("{ref} already exists (use --key id to update it)").format(
                        ref=f"{project.key}/{record_id}"
                    ),
                )
            )
            return None
        record = Record(project.key, record_id, f"{project.key}/{record_id}.yaml", data)
        problems.extend(self._issues(row, record, data))
        if problems:
            return None
        self.taken.add(record_id)
        text = self.editor.new_record_text(project, data, self.now)
        self.spool.write(json.dumps([record.path, text], ensure_ascii=False) + "\n")
        self.result.created += 1
        where = _(" in {list}").format(list=data["list"]) if "list" in data else ""
        return RowOutcome(
            "create",
            row.number,
            record.ref,
            _("new {record} “{name}”{where}").format(
                record=project.record_name, name=record.name, where=where
            ),
        )

    def _update(
        self, row: Row, record_id: str, values: dict[str, Any], problems: list[Problem]
    ) -> RowOutcome | None:
        project = self.project
        record = project.records[record_id]
        changes = {  # the key itself matched, maybe in another case: it stays as it is
            key: value
            for key, value in values.items()
            if key not in (ID, self.options.key) and record.data.get(key) != value
        }
        if self.default_tags:
            tags = _union(changes.get("tags", record.tags), self.default_tags)
            if tags != record.data.get("tags"):
                changes["tags"] = tags
        if not changes:
            self.result.unchanged += 1
            return RowOutcome("unchanged", row.number, record.ref, _("unchanged"))
        merged = Record(project.key, record.id, record.path, {**record.data, **changes})
        problems.extend(self._issues(row, merged, changes))
        if problems:
            return None
        self.updates.append((record, changes))
        self.result.updated += 1
        return RowOutcome(
            "update",
            row.number,
            record.ref,
            self.editor.describe_values(project, record.data, changes),
        )

    def _issues(self, row: Row, record: Record, changed: Mapping[str, Any]) -> list[Problem]:
        """The errors `crm check` would report about what this row sets."""
        found = []
        for issue in self.checker.issues(record):
            if issue.severity != "error":
                continue
            if issue.field in changed or issue.code in ("required", "no-list"):
                column = self.by_field.get(issue.field) if isinstance(issue.field, str) else None
                found.append(self._problem(row.number, column, issue.code, issue.message))
        return found

    def _free_id(self, name: str) -> str | None:
        base = make_id(name)
        if not base:
            return None
        candidate, suffix = base, 2
        while candidate in self.taken:
            candidate = f"{base}-{suffix}"
            suffix += 1
        return candidate

    def _problem(
        self,
        row: int,
        column: Column | None,
        code: str,
        message: str,
        severity: Severity = Severity.ERROR,
    ) -> Problem:
        if column is None:
            where = _("row {row}: ").format(row=row)
        else:
            where = _("row {row}, column “{header}”: ").format(row=row, header=column.header)
        return Problem(
            str(self.table.path),
            row,
            column.index + 1 if column else 1,
            severity,
            code,
            where + message,
        )


# columns


def map_columns(
    project: Project, headers: Sequence[str], mapping: Mapping[str, str]
) -> tuple[list[Column], list[Column]]:
    """(columns to import, computed columns ignored) by header name, ignoring case and
    accents; `mapping` (header → field, "" to skip) comes first. UsageError for a column no
    field matches, a mapping to no field, or two columns filling one field."""
    explicit = {_normalised(header): target.strip() for header, target in mapping.items()}
    known = {_normalised(h) for h in headers}
    missing = [header for header in mapping if _normalised(header) not in known]
    if missing:
        raise UsageError(
            _("--map: the file has no column “{header}” (columns: {headers}){hint}").format(
                header=missing[0],
                headers=", ".join(headers),
                hint=did_you_mean(missing[0], headers),
            )
        )
    by_name = _field_names(project)
    columns, ignored, unmapped = [], [], []
    for index, header in enumerate(headers):
        normalised = _normalised(header)
        if normalised in explicit:
            target = explicit[normalised]
            if not target:
                continue
            definition = _named_field(project, target, header)
        elif normalised in by_name:
            definition = by_name[normalised]
        else:
            if header or index < len(headers) - 1:
                unmapped.append(header)
            continue
        column = Column(index, header, definition)
        if definition is not None and definition.computed:
            if normalised in explicit:
                raise UsageError(
                    _(
                        "--map {header}={field}: {field} is computed ({kind}) and cannot be set"
                    ).format(header=header, field=definition.key, kind=definition.type)
                )
            ignored.append(column)
            continue
        columns.append(column)
    if unmapped:
        _refuse_unmapped(project, unmapped)
    _refuse_doubles(columns)
    return columns, ignored


def _normalised(name: str) -> str:
    """“Close Date”, “close_date” and “clôture-date” compare as “close date”, “cloture date”."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^\w]+|_", " ", plain).split())


def _field_names(project: Project) -> dict[str, FieldDef | None]:
    names: dict[str, FieldDef | None] = {ID: None}
    for definition in project.fields.values():
        names.setdefault(_normalised(definition.label), definition)
    for definition in project.fields.values():
        names[_normalised(definition.key)] = definition
    if "name" in project.fields:
        names.setdefault(_normalised(project.record_name), project.fields["name"])
    return names


def _named_field(project: Project, target: str, header: str) -> FieldDef | None:
    if target == ID:
        return None
    definition = project.fields.get(target)
    if definition is None:
        raise UsageError(
            _("--map {header}={field}: {project} has no field “{field}”{hint}").format(
                header=header,
                field=target,
                project=project.name,
                hint=did_you_mean(target, [*project.fields, ID]),
            )
        )
    return definition


def _refuse_unmapped(project: Project, headers: list[str]) -> None:
    fields = [key for key, f in project.fields.items() if not f.computed]
    listed = ", ".join(
        f"“{header}”{did_you_mean(header, fields)}" if header else _("(no header)")
        for header in headers
    )
    raise UsageError(
        _(
            "no field of {project} matches the column(s) {columns}; map each with "
            '--map "HEADER=field" or skip it with --map "HEADER=" (fields: {fields})'
        ).format(project=project.name, columns=listed, fields=", ".join(fields))
    )


def _refuse_doubles(columns: Iterable[Column]) -> None:
    seen: dict[str, Column] = {}
    for column in columns:
        if column.key in seen:
            raise UsageError(
                _(
                    "the columns “{first}” and “{second}” both fill {field}; skip one with "
                    '--map "HEADER="'
                ).format(first=seen[column.key].header, second=column.header, field=column.key)
            )
        seen[column.key] = column


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


def _union(first: Iterable[str], second: Iterable[str]) -> list[str]:
    return list(dict.fromkeys([*first, *second]))


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# the mapping file


RECIPE_KEYS = ("columns", "values", "references", "key", "list", "tags")


def read_recipe(path: Path) -> dict[str, Any]:
    """A mapping file: the options of an import that is run again and again.

    columns: {HEADER: field}   (a blank field skips the column)
    values: {misspelt: meant}
    references: {reference field: key field of the target}
    key: field, list: default list, tags: [default tags]
    """
    try:
        text = read_text(path, MAX_CONFIG_BYTES)
        data = parse(text).data
    except FileNotFoundError:
        raise UsageError(_("{path}: no such file").format(path=path)) from None
    except YamlReadError as error:
        raise UsageError(f"{path}:{error.line}:{error.column}: {error.message}") from None
    positions = key_positions(text)

    def refuse(key_path: tuple[Any, ...], message: str) -> UsageError:
        line, column = locate(positions, key_path)
        return UsageError(f"{path}:{line}:{column}: {message}")

    if not isinstance(data, dict):
        raise refuse((), _("a mapping file holds {keys}").format(keys=", ".join(RECIPE_KEYS)))
    for key, value in data.items():
        if key not in RECIPE_KEYS:
            raise refuse(
                (key,),
                _("unknown key “{key}”{hint}").format(
                    key=key, hint=did_you_mean(str(key), RECIPE_KEYS)
                ),
            )
        if key in ("columns", "values", "references"):
            if not isinstance(value, dict) or not all(
                isinstance(v, str | int | float) or v is None for v in value.values()
            ):
                raise refuse(
                    (key,), _("{key}: write a mapping of names, e.g. HEADER: field").format(key=key)
                )
        elif key == "tags":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise refuse((key,), _("tags: write a list of tags, e.g. [seo, website]"))
        elif not isinstance(value, str):
            raise refuse((key,), _("{key}: write a name").format(key=key))
    return {
        key: {str(k): "" if v is None else str(v) for k, v in value.items()}
        if isinstance(value, dict)
        else value
        for key, value in data.items()
    }
