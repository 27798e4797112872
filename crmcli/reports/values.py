"""A record's values and dates as a dashboard reads them: one engine scope per project and
each date looked up once, however many widgets ask for it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from crmcli.core.collation import sortable as collated
from crmcli.core.model import Project, Record
from crmcli.engine.compute import Engine
from crmcli.git.timeline import Timeline
from crmcli.reports.labels import NONE
from crmcli.reports.spec import RECORD_DATES

Item = tuple[Project, Record]
_UNKNOWN: Any = object()  # a day not looked up yet (None is a day nothing says)


class RecordValues:
    def __init__(self, engine: Engine, timeline: Timeline) -> None:
        self.engine = engine
        self.timeline = timeline
        self._days: dict[str, dict[str, date | None]] = {}  # date name → record path → day
        self._scopes: dict[str, Any] = {}
        self._stored_fields: dict[tuple[str, str], bool] = {}

    def scope(self, project: Project, record: Record) -> Any:
        scope = self._scopes.get(project.key)
        if scope is None:
            scope = self._scopes[project.key] = self.engine.scope(project)
        scope.record = record
        return scope

    def value(self, project: Project, record: Record, path: tuple[str, ...]) -> Any:
        if len(path) == 1 and path[0] in record.data and self._stored(project, path[0]):
            return record.data[path[0]]  # a stored field the record holds, as its scope reads it
        scope = self.scope(project, record)
        return scope.get(path[0]) if len(path) == 1 else scope.path(path)

    def values(self, items: Sequence[Item], path: tuple[str, ...]) -> list[Any]:
        """The value of each item, as `value` gives it, in their order."""
        if len(path) != 1:
            return [self.value(project, record, path) for project, record in items]
        key, value, stored = path[0], self.value, self._stored
        return [
            record.data[key]
            if key in record.data and stored(project, key)
            else value(project, record, path)
            for project, record in items
        ]

    def _stored(self, project: Project, key: str) -> bool:
        """Whether the project's field `key` is stored (not computed): then a record's data
        holds its value as its scope reads it. Asked once per project and field, not for
        each of a hundred thousand deals."""
        found = self._stored_fields.get((project.key, key))
        if found is None:
            definition = project.fields.get(key)
            found = definition is not None and not definition.computed
            self._stored_fields[(project.key, key)] = found
        return found

    def day(self, name: str, project: Project, record: Record) -> date | None:
        days = self._days_of(name)
        day = days.get(record.path, _UNKNOWN)
        if day is _UNKNOWN:
            day = days[record.path] = self._finder(name, project)(record)
        return day

    def days(self, name: str, project: Project, records: list[Record]) -> list[date | None]:
        """The day of each record, in their order: what a widget's window compares, one
        dictionary read per record once a widget before it found them."""
        days = self._days_of(name)
        found = self._finder(name, project)
        for record in records:
            if record.path not in days:
                days[record.path] = found(record)
        return [days[record.path] for record in records]

    def item_days(self, name: str, items: Sequence[Item]) -> list[date | None]:
        """The day of each item, as `days` finds them, a project's records at a time."""
        found: list[date | None] = []
        start = 0
        while start < len(items):
            project, end = items[start][0], start + 1
            while end < len(items) and items[end][0] is project:
                end += 1
            found += self.days(name, project, [record for _p, record in items[start:end]])
            start = end
        return found

    def _days_of(self, name: str) -> dict[str, date | None]:
        days = self._days.get(name)
        if days is None:
            days = self._days[name] = {}
        return days

    def _finder(self, name: str, project: Project) -> Callable[[Record], date | None]:
        """How a record's day is found: a date of its timeline, or a field's value."""
        day = self.timeline.day
        if name in RECORD_DATES:
            dated = self.timeline.dater(name, project)
            return lambda record: day(dated(record))
        path = tuple(name.split("."))
        return lambda record: day(self.value(project, record, path))


def sortable(value: Any) -> tuple[int, Any]:
    """Empty values (and “(none)”) last; text in the collation order (`core/collation.py`)."""
    return collated(None if value == NONE else value)
