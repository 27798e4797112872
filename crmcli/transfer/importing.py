"""`crm import`: the rows of a CSV or Excel file become records, all checked before any is written.

One pass reads the file row by row: the columns are mapped to fields (transfer.columns), each
row is typed (transfer.rows) and checked with the rules of `crm check`. A new record is
rendered at once and spooled to a temporary file, so memory stays bounded however long the
file is; an update (--key, transfer.upsert) keeps only the values that change. Only when every
row passed (or with --skip-invalid) does the second pass write: updates through the round-trip
writer (minimal diffs), new files in one batch. Both passes run under the workspace lock, so
what was checked is what is written.
"""

from __future__ import annotations

import itertools
import json
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from crmcli.core.model import Project, Record
from crmcli.duplicates.rows import SKIP, UPDATE, Decision, RowDuplicates
from crmcli.editing.editor import Editor
from crmcli.editing.ids import candidate_ids, free_id, make_id
from crmcli.editing.journal import Transaction
from crmcli.editing.lock import workspace_lock
from crmcli.engine.reader import workspace_now
from crmcli.errors import CrmError, Problem, Severity, UsageError
from crmcli.fields.context import FieldContext
from crmcli.fields.record import RecordChecker
from crmcli.fields.registry import field_type
from crmcli.i18n import _
from crmcli.i18n.lists import value_list
from crmcli.transfer.cells import ID
from crmcli.transfer.columns import ENTERED, map_columns
from crmcli.transfer.readers import Row, Table, open_table
from crmcli.transfer.rows import (
    RowReader,
    check_references,
    dated_move,
    reference_indexes,
    row_problem,
    union,
)
from crmcli.transfer.upsert import Updates

PROGRESS_EVERY = 500
SPOOL_IN_MEMORY_BYTES = 4 * 1024 * 1024  # then the spool goes to a temp file


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
    on_duplicate: str = "warn"  # a row that likely duplicates a record: warn, skip or update


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
                row_problem(
                    table,
                    table.header_row,
                    ignored[0],
                    "computed-column",
                    _("computed in {project}, so ignored: {columns}").format(
                        project=project.name, columns=value_list(c.header for c in ignored)
                    ),
                    Severity.WARNING,
                )
            )
        self.now = workspace_now(editor.workspace)
        self.default_tags = self._default_tags()

    # options

    def _check_options(self) -> None:
        project, options = self.project, self.options
        if "name" not in self.by_field and options.key is None:
            raise UsageError(
                _(
                    'no column gives the {record}\'s name; map one with --map "HEADER=name" '
                    "(columns: {headers})"
                ).format(record=project.record_name, headers=value_list(self.table.headers))
            )
        if options.key is not None and options.key not in self.by_field:
            raise UsageError(
                _('--key {key}: no column fills {key} (map one with --map "HEADER={key}")').format(
                    key=options.key
                )
            )
        check_references(self.editor.workspace, project, options.references)

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
        workspace = self.editor.workspace
        indexes = reference_indexes(workspace, self.columns, self.options.references)
        context = FieldContext(workspace, self.project, self.now.date(), indexes)
        self.reader = RowReader(
            self.table, self.columns, self.options.value_map, context, self.result.warnings
        )
        self.checker = RecordChecker(context)
        self.updates = Updates(
            self.editor, self.project, self.table, self.by_field, self.options.key
        )
        self.taken = set(self.project.records)
        self.matched: set[str] = set()  # records found to be this import's earlier result
        self.duplicates = RowDuplicates(
            self.editor.root, workspace, self.project, self.editor.actor, self.options.on_duplicate
        )
        for row in self.table.rows():
            self.result.rows += 1
            self._import_row(row)
            if self.result.rows % PROGRESS_EVERY == 0:
                self.on_progress(self.table.progress())
        self.duplicates.close()
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

    def _write(self) -> None:
        """Updates and new files as one journaled write: all of them, or none if a file
        changed or appeared meanwhile (a `git pull` during the import)."""
        self.spool.seek(0)
        root = self.editor.root
        with Transaction(root) as transaction:
            self.updates.stage(transaction)
            for path, text in map(json.loads, self.spool):
                transaction.write(root / path, text.encode("utf-8"), None)
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
        values = self.reader.values(row, problems)
        if problems:
            return None
        record_id = self.updates.existing(row, values, problems)
        if problems:
            return None
        if record_id is not None:
            return self._update(row, record_id, values, problems)
        duplicate = self.duplicates.decide(values)
        earlier = self._imported_before(values, duplicate.likely)
        if earlier is not None:  # an earlier run of this import, or a record just like the row
            self.result.unchanged += 1
            return RowOutcome("unchanged", row.number, earlier.ref, _("unchanged"))
        if duplicate.kind == SKIP:
            return self._not_created(row, duplicate)
        if duplicate.kind == UPDATE:
            self._warn_of_duplicate(row, duplicate, None)
            named = {key: value for key, value in values.items() if key != "name"}
            return self._update(row, duplicate.record_id, named, problems)
        outcome = self._create(row, values, problems)
        if outcome is not None and duplicate.match is not None:
            self._warn_of_duplicate(row, duplicate, outcome.record)
        return outcome

    def _not_created(self, row: Row, duplicate: Decision) -> RowOutcome:
        """A row that is likely an existing record, with --on-duplicate skip."""
        self.result.unchanged += 1
        self._warn_of_duplicate(row, duplicate, None)
        ref = duplicate.match.records[1] if duplicate.match else ""
        return RowOutcome("unchanged", row.number, ref, _("unchanged"))

    def _warn_of_duplicate(self, row: Row, duplicate: Decision, new: str | None) -> None:
        message = self.duplicates.warning(duplicate, new)
        self.result.warnings.append(
            row_problem(self.table, row.number, None, "likely-duplicate", message, Severity.WARNING)
        )

    def _create(
        self, row: Row, values: dict[str, Any], problems: list[Problem]
    ) -> RowOutcome | None:
        project = self.project
        data = {key: value for key, value in values.items() if key not in (ID, ENTERED)}
        if self.list_name is not None:
            data.setdefault("list", self.list_name)
        if self.default_tags:
            data["tags"] = union(data.get("tags", []), self.default_tags)
        record_id = values.get(ID) or self._free_id(str(data.get("name", "")))
        if record_id is None:
            message = (
                _("the name gives no usable id (it has no letters or digits)")
                if data.get("name")
                else _("a new {record} needs a name").format(record=project.record_name)
            )
            problems.append(
                row_problem(self.table, row.number, self.by_field.get("name"), "no-id", message)
            )
            return None
        if record_id in self.taken:
            problems.append(
                row_problem(
                    self.table,
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
        text = self.editor.new_record_text(project, data, self.now, values.get(ENTERED))
        self.spool.write(json.dumps([record.path, text], ensure_ascii=False) + "\n")
        self.result.created += 1
        message = (
            _("new {record} “{name}” in {list}") if "list" in data else _("new {record} “{name}”")
        )
        return RowOutcome(
            "create",
            row.number,
            record.ref,
            message.format(record=project.record_name, name=record.name, list=data.get("list")),
        )

    def _update(
        self, row: Row, record_id: str, values: dict[str, Any], problems: list[Problem]
    ) -> RowOutcome | None:
        project = self.project
        record = project.records[record_id]
        changes = self.updates.changes(record, values, self.default_tags)
        dated_move(record, changes, self.editor.history_item)
        if not changes:
            self.result.unchanged += 1
            return RowOutcome("unchanged", row.number, record.ref, _("unchanged"))
        merged = Record(project.key, record.id, record.path, {**record.data, **changes})
        problems.extend(self._issues(row, merged, changes))
        if problems:
            return None
        self.updates.add(record, changes)
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
                found.append(row_problem(self.table, row.number, column, issue.code, issue.message))
        return found

    def _imported_before(
        self, values: Mapping[str, Any], likely: Iterable[str] = ()
    ) -> Record | None:
        """The record an earlier run of this import made from this row, or one just like it,
        so that running an import again (after it completed, or after it was interrupted)
        creates nothing twice and a row identical to an existing record is never created.

        Without --key, the same record is one with an id this row would get (its id column,
        else its name's id or that id's -2, -3… suffixes), or one the row `likely` is (a
        likely duplicate, `crm duplicates`), that holds every value the row gives; each record answers for one row only, so two equal rows still are two records.
        A record whose values were changed since is a different one (a new row; --key updates).
        The list and tags the import adds by default are left out of the comparison: a record
        moved or tagged since is still the one this row made.
        """
        given = {key: value for key, value in values.items() if key != ID}
        records = self.project.records
        if ID in values:
            candidates: Iterable[str] = [values[ID]]
        else:
            base = make_id(str(values.get("name", "")))
            candidates = (
                itertools.takewhile(records.__contains__, candidate_ids(base)) if base else ()
            )
        for record_id in itertools.chain(candidates, likely):
            record = records.get(record_id)
            if record_id in self.matched or record is None:
                continue
            if all(record.data.get(key) == value for key, value in given.items()):
                self.matched.add(record_id)
                return record
        return None

    def _free_id(self, name: str) -> str | None:
        base = make_id(name)
        return free_id(base, self.taken) if base else None
