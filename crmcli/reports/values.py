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
        scope = self.scope(project, record)
        return scope.get(path[0]) if len(path) == 1 else scope.path(path)

    def day(self, name: str, project: Project, record: Record) -> date | None:
        days = self._days.get(name)
        if days is None:
            days = self._days[name] = {}
        day = days.get(record.path, _UNKNOWN)
        if day is _UNKNOWN:
            if name in RECORD_DATES:
                day = self.timeline.day(self.timeline.date(name, project, record))
            else:
                day = self.timeline.day(self.value(project, record, tuple(name.split("."))))
            days[record.path] = day
        return day


def sortable(value: Any) -> tuple[int, Any]:
    """Empty values (and “(none)”) last; text in the collation order (`core/collation.py`)."""
    return collated(None if value == NONE else value)
