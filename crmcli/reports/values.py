"""A record's values and dates as a dashboard reads them: one engine scope per project and
each date looked up once, however many widgets ask for it."""

from __future__ import annotations

from datetime import date
from typing import Any

from crmcli.core.collation import sortable as collated
from crmcli.core.model import Project, Record
from crmcli.engine.compute import Engine
from crmcli.git.timeline import Timeline
from crmcli.reports.labels import NONE
from crmcli.reports.spec import RECORD_DATES

Item = tuple[Project, Record]
_ENTERED = {"won_at": "won", "closed_at": "closed"}  # the dates of entering such a list
_UNKNOWN: Any = object()  # a day not looked up yet (None is a day nothing says)


class RecordValues:
    def __init__(self, engine: Engine, timeline: Timeline) -> None:
        self.engine = engine
        self.timeline = timeline
        self._days: dict[str, dict[str, date | None]] = {}  # date name → record path → day
        self._scopes: dict[str, Any] = {}

    def scope(self, project: Project, record: Record) -> Any:
        scope = self._scopes.get(project.key)
        if scope is None:
            scope = self._scopes[project.key] = self.engine.scope(project)
        scope.record = record
        return scope

    def value(self, project: Project, record: Record, path: tuple[str, ...]) -> Any:
        if len(path) == 1:  # a stored field the record holds: its data, as its scope reads it
            definition = project.fields.get(path[0])
            if definition is not None and not definition.computed and path[0] in record.data:
                return record.data[path[0]]
        scope = self.scope(project, record)
        return scope.get(path[0]) if len(path) == 1 else scope.path(path)

    def day(self, name: str, project: Project, record: Record) -> date | None:
        days = self._days_of(name)
        day = days.get(record.path, _UNKNOWN)
        if day is _UNKNOWN:
            day = days[record.path] = self._found(name, project, record)
        return day

    def days(self, name: str, project: Project, records: list[Record]) -> list[date | None]:
        """The day of each record, in their order: what a widget's window compares, one
        dictionary read per record once a widget before it found them."""
        days = self._days_of(name)
        kind = _ENTERED.get(name)
        lists = self.timeline.outcome_lists(project, kind) if kind else None
        for record in records:
            if record.path in days:
                continue
            if lists is not None and record.list_name not in lists:
                days[record.path] = None  # not in a won (closed) list: never won (closed) yet
            else:
                days[record.path] = self._found(name, project, record)
        return [days[record.path] for record in records]

    def _days_of(self, name: str) -> dict[str, date | None]:
        days = self._days.get(name)
        if days is None:
            days = self._days[name] = {}
        return days

    def _found(self, name: str, project: Project, record: Record) -> date | None:
        if name in RECORD_DATES:
            return self.timeline.day(self.timeline.date(name, project, record))
        return self.timeline.day(self.value(project, record, tuple(name.split("."))))


def sortable(value: Any) -> tuple[int, Any]:
    """Empty values (and “(none)”) last; text in the collation order (`core/collation.py`)."""
    return collated(None if value == NONE else value)
