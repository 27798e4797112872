"""What an expression sees of one record, and how far the engine may read to compute it.

A scope reads a record's stored fields, its derived values (outcome, probability…) and its
computed fields. A computed field not yet filled is computed the first time it is read
(`Engine.value_of`), so the same scope serves the whole-workspace run (where every field is
filled in dependency order before anything reads it) and a single record on demand.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from crmcli.core.model import Project, Record
from crmcli.engine import deals
from crmcli.engine.activity import ACTIVITY_VALUES

if TYPE_CHECKING:
    from crmcli.engine.compute import Engine


class Reach(enum.Enum):
    """How much of the workspace a caller lets the engine read for one record.

    WHOLE_PROJECT: backlinks and the rollups over them read every record of the project they
    come from (a loaded workspace, automations). NAMED_RECORDS: only the records a reference
    names (a diff reads two revisions file by file): backlinks and what reads them are left
    out of `record.computed`."""

    WHOLE_PROJECT = "whole-project"
    NAMED_RECORDS = "named-records"


_DERIVED: dict[str, Callable[[Project, Record], Any]] = {
    "id": lambda project, record: record.id,
    "project": lambda project, record: project.key,
    "outcome": deals.outcome,
    "probability": deals.list_probability,
    "max_days": lambda project, record: s.max_days if (s := deals.stage(project, record)) else None,
}


class RecordScope:
    """The names an expression sees for one record. Reused across records for speed: a
    scope made without a record is pointed at each one (`scope.record = …`) before it is read."""

    __slots__ = ("engine", "fields", "project", "record", "today")
    record: Record

    def __init__(self, engine: Engine, project: Project, record: Record | None = None) -> None:
        self.engine = engine
        self.project = project
        self.fields = project.fields
        if record is not None:
            self.record = record
        self.today = engine.today

    def get(self, name: str) -> Any:
        record = self.record
        definition = self.fields.get(name)
        if definition is not None and definition.computed:
            # before the data: a computed field's name in a file is a problem `crm check`
            # reports; and a stored field is read without touching the computed values (the
            # index fetches them only when they are read: index/on_demand.py)
            computed = record.computed
            if name in computed:
                return computed[name]
            return self.engine.value_of(self.project, record, definition)
        data = record.data
        if name in data:
            return data[name]
        derived = _DERIVED.get(name)
        if derived is not None:
            return derived(self.project, record)
        activity = ACTIVITY_VALUES.get(name)
        return activity[2](record, self.today) if activity else None

    def path(self, names: tuple[str, ...]) -> Any:
        return self.engine.follow_path(self.project, self.record, names)


class Scopes:
    """Scopes over one project reused from record to record (allocating one per record is
    a measurable share of `crm check`); a nested evaluation takes its own."""

    __slots__ = ("engine", "idle", "project")

    def __init__(self, engine: Engine, project: Project) -> None:
        self.engine = engine
        self.project = project
        self.idle: list[RecordScope] = []

    def take(self, record: Record | None) -> RecordScope:
        """A free scope, pointed at `record` (None: the caller points it before reading)."""
        scope = self.idle.pop() if self.idle else RecordScope(self.engine, self.project)
        if record is not None:
            scope.record = record
        return scope

    def give(self, scope: RecordScope) -> None:
        self.idle.append(scope)
