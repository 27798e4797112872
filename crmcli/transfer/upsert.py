"""--key: a row updates the record whose key field matches it, through the round-trip writer.

A key matches whatever its case and surrounding spaces; two rows with one key, or a key that
several records share, are problems, since the row cannot tell which record it means. An
update keeps only the values that change, and is written with the record file's comments and
layout kept, so that `git diff` shows what the import changed and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from crmcli.core.model import Project, Record
from crmcli.editing.editor import Editor
from crmcli.editing.journal import Transaction
from crmcli.editing.writer import RecordFile
from crmcli.errors import Problem
from crmcli.fields.references import ReferenceIndex
from crmcli.i18n import _
from crmcli.i18n.lists import value_list
from crmcli.transfer.cells import ID
from crmcli.transfer.columns import Column
from crmcli.transfer.readers import Row, Table
from crmcli.transfer.rows import row_problem, union


@dataclass(slots=True)
class Updates:
    """The records rows update, found by --key (or by an id column), until they are written."""

    editor: Editor
    project: Project
    table: Table
    by_field: Mapping[str, Column]
    key: str | None
    keys: ReferenceIndex | None = field(init=False)
    seen_keys: dict[str, int] = field(default_factory=dict, init=False)
    pending: list[tuple[Record, dict[str, Any]]] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        self.keys = ReferenceIndex(self.project, self.key) if self.key else None

    def existing(self, row: Row, values: dict[str, Any], problems: list[Problem]) -> str | None:
        """The id of the record this row updates (--key), else None; duplicate keys are problems."""
        key = self.key or (ID if ID in values else None)
        if key is None or values.get(key) is None:
            return None
        column = self.by_field[key]
        folded = str(values[key]).strip().casefold()
        first = self.seen_keys.setdefault(folded, row.number)
        if first != row.number:
            problems.append(
                row_problem(
                    self.table,
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
                row_problem(
                    self.table,
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
                        ids=value_list(matches),
                    ),
                )
            )
            return None
        return matches[0] if matches else None

    def changes(
        self, record: Record, values: Mapping[str, Any], default_tags: Sequence[str]
    ) -> dict[str, Any]:
        """What the row changes in the record, the --tag ones included."""
        changes = {  # the key itself matched, maybe in another case: it stays as it is
            key: value
            for key, value in values.items()
            if key not in (ID, self.key) and record.data.get(key) != value
        }
        if default_tags:
            tags = union(changes.get("tags", record.tags), default_tags)
            if tags != record.data.get("tags"):
                changes["tags"] = tags
        return changes

    def add(self, record: Record, changes: dict[str, Any]) -> None:
        self.pending.append((record, changes))

    def stage(self, transaction: Transaction) -> None:
        """Every update into the import's one transaction, each file refused if it changed
        since it was read."""
        for record, changes in self.pending:
            document = RecordFile.open(self.editor.root / record.path, record.path)
            self.editor.write_values(self.project, document, changes)
            transaction.write(
                document.path, document.render().encode("utf-8"), document.original_sha
            )
