"""A dashboard's figures, computed from the engine's records: frozen dataclasses that
charts.py draws and html.py lays out. Numbers stay numbers here; `Unit` formats them.

Every widget works on the records of its projects that pass the filters (the dashboard's and
its own: lists, tags, where, period). Lists and tags are matched by name, so the same list in
two projects is one category. The period applies to the widget's date (`date:`, else the date
it is grouped by, else none: the widget shows the state of the workspace on the day).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from crmcli.core.decimals import exact_sum
from crmcli.core.model import DERIVED_NAMES, Project, Record, Workspace
from crmcli.engine import deals
from crmcli.engine.compute import Engine
from crmcli.engine.present import display_field
from crmcli.engine.reader import Reader
from crmcli.engine.types import ExpressionError
from crmcli.fields.formatting import Formatter
from crmcli.formulas.compiler import Expression
from crmcli.formulas.values import FormulaError, is_number
from crmcli.git.timeline import Timeline
from crmcli.i18n import _, ngettext
from crmcli.reports.figures import (
    Chart,
    DashboardData,
    Figure,
    Omitted,
    RecordTable,
    Series,
    Stat,
    Unit,
)
from crmcli.reports.labels import NONE, Labels
from crmcli.reports.period import Period, unit_start
from crmcli.reports.spec import RECORD_DATES, Dashboard, Grouping, Measure, Widget

Item = tuple[Project, Record]
_ADDITIVE = ("count", "sum", "weighted", "stale")


@dataclass(frozen=True, slots=True)
class Options:
    """What the command line changes: a period for every widget, extra tags, who reads."""

    today: date
    period: Period | None = None
    tags: tuple[str, ...] = ()
    reader: Reader = field(default_factory=Reader)
    revision: str | None = None


def compute_dashboard(
    workspace: Workspace, engine: Engine, dashboard: Dashboard, timeline: Timeline, options: Options
) -> DashboardData:
    calculator = _Calculator(workspace, engine, dashboard, timeline, options)
    return DashboardData(
        name=dashboard.name,
        title=dashboard.title,
        description=dashboard.description,
        workspace_name=workspace.config.name,
        locale=calculator.formatter.locale,
        currency=calculator.currency,
        as_of=options.today,
        revision=options.revision,
        role=options.reader.role.name if options.reader.role and options.reader.hidden else None,
        tags=options.tags,
        figures=tuple(calculator.figure(widget) for widget in dashboard.widgets),
    )


@dataclass(slots=True)
class _Filtered:
    items: list[Item] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class _Calculator:
    def __init__(
        self,
        workspace: Workspace,
        engine: Engine,
        dashboard: Dashboard,
        timeline: Timeline,
        options: Options,
    ) -> None:
        self.workspace = workspace
        self.engine = engine
        self.dashboard = dashboard
        self.timeline = timeline
        self.options = options
        self.today = options.today
        self.hidden = options.reader.hidden
        self.formatter = Formatter.for_workspace(workspace.config)
        self.currency = dashboard.currency or workspace.config.currency
        self.labels = Labels(workspace, engine, self.formatter, self.currency)
        self._expressions: dict[tuple[str, str], Expression] = {}
        self._wheres: dict[tuple[str, str], tuple[set[str], str]] = {}
        self._days: dict[tuple[str, str], date | None] = {}
        self._scopes: dict[str, Any] = {}

    # one widget

    def figure(self, widget: Widget) -> Figure:
        projects = [
            self.workspace.projects[k] for k in widget.projects if k in self.workspace.projects
        ]
        hidden = self._hidden_fields(widget, projects)
        if hidden:
            return Omitted(
                widget.title,
                widget.description,
                _("Not shown to the {role} role: it uses {fields}.").format(
                    role=self.options.reader.role.name if self.options.reader.role else "",
                    fields=", ".join(hidden),
                ),
            )
        window = self._window(widget)
        filtered = self._select(widget, projects, window)
        scope = self._scope_text(widget, window, projects)
        if widget.type == "stat":
            measure = widget.measure or Measure("count")
            return Stat(
                widget.title,
                widget.description,
                self._aggregate(measure, filtered.items),
                self._unit(widget, projects),
                scope,
                tuple(filtered.notes),
            )
        if widget.type == "table" and widget.by is None and widget.columns:
            return self._record_table(widget, projects, filtered, scope)
        return self._chart(widget, projects, filtered, window, scope)

    def _window(self, widget: Widget) -> tuple[date | None, date | None]:
        period = self.options.period or widget.period or self.dashboard.period
        if period is None or widget.period_date is None:
            return (None, None)
        return period.window(self.today)

    def _scope_text(
        self, widget: Widget, window: tuple[date | None, date | None], projects: list[Project]
    ) -> str:
        """What the numbers cover: “won: 1 Dec 2025 – 23 Nov 2026”, or “as of 23 Nov 2026”."""
        from babel.dates import format_interval

        start, end = window
        date_label = self.labels.date(widget.period_date, projects) if widget.period_date else ""
        if start and end:
            interval = format_interval(start, end, "yMMMd", locale=self.formatter.locale)
            return _("{date}: {interval}").format(date=date_label, interval=interval)
        if start:
            return _("{date}: from {day}").format(date=date_label, day=self.formatter.day(start))
        if end:
            return _("{date}: until {day}").format(date=date_label, day=self.formatter.day(end))
        return _("as of {day}").format(day=self.formatter.day(self.today))

    # which fields a role may not see

    def _hidden_fields(self, widget: Widget, projects: list[Project]) -> list[str]:
        if not self.hidden:
            return []
        paths: list[tuple[str, ...]] = []
        measure = widget.measure
        if measure is not None and measure.path:
            paths.append(measure.path)
        if measure is not None and measure.kind == "weighted":
            paths.append(("probability",))
        for grouping in (widget.by, widget.series):
            if grouping is not None:
                paths.append(grouping.path)
        if widget.date:
            paths.append(tuple(widget.date.split(".")))
        if widget.sort and widget.columns:
            paths.append(tuple(widget.sort.lstrip("-").split(".")))
        for source in (self.dashboard.where, widget.where):
            if source:
                paths.extend(_expression_paths(source))
        found = []
        for project in projects:
            for path in paths:
                try:
                    steps = self.engine.resolve_path(project, path)
                except ExpressionError:
                    continue
                found += [f"{p}.{n}" for p, n in steps if f"{p}.{n}" in self.hidden]
        return sorted(set(found))

    # filtering

    def _select(
        self, widget: Widget, projects: list[Project], window: tuple[date | None, date | None]
    ) -> _Filtered:
        filtered = _Filtered()
        dashboard = self.dashboard
        for project in projects:
            tests: list[Callable[[Record], bool]] = []
            for names, kind, strict in (
                (dashboard.lists, "lists", False),
                ((*dashboard.tags, *self.options.tags), "tags", False),
                (widget.lists, "lists", True),
                (widget.tags, "tags", True),
            ):
                test = self._name_filter(project, names, kind, strict, filtered.notes)
                if test is not None:
                    tests.append(test)
            for source in (dashboard.where, widget.where):
                if source:
                    tests.append(self._where_filter(project, source, filtered.notes))
            records = list(project.records.values())
            for test in tests:
                records = [record for record in records if test(record)]
            filtered.items += self._in_window(widget, project, records, window, filtered.notes)
        return filtered

    def _name_filter(
        self, project: Project, names: Sequence[str], kind: str, strict: bool, notes: list[str]
    ) -> Callable[[Record], bool] | None:
        """Records in one of the lists, or with one of the tags. A dashboard-wide filter
        leaves alone a project that has none of those names, and says so."""
        if not names:
            return None
        wanted = set(names)
        declared = set(project.lists) if kind == "lists" else set(project.tags)
        if not strict and not wanted & declared:
            notes.append(
                _("{project} has none of the {kind} {names}: not filtered by them").format(
                    project=project.name,
                    kind=_("lists") if kind == "lists" else _("tags"),
                    names=", ".join(names),
                )
            )
            return None
        if kind == "lists":
            return lambda record: record.list_name in wanted
        return lambda record: not wanted.isdisjoint(record.tags)

    def _where_filter(
        self, project: Project, source: str, notes: list[str]
    ) -> Callable[[Record], bool]:
        passing, failure = self._where_results(project, source)
        if failure:
            notes.append(failure)
        return lambda record: record.path in passing

    def _where_results(self, project: Project, source: str) -> tuple[set[str], str]:
        """The records an expression keeps (evaluated once per dashboard), and a note when
        it fails on some."""
        key = (project.key, source)
        if key not in self._wheres:
            expression = self._expression(project, source)
            scope = self.engine.scope(project)
            passing, failure = set(), ""
            for record in project.records.values():
                scope.record = record
                try:
                    if expression(scope):
                        passing.add(record.path)
                except FormulaError as error:
                    failure = failure or _(
                        "“{where}” fails on {record}: {message}; such records are left out"
                    ).format(
                        where=source, record=project.record_label(record), message=error.message
                    )
            self._wheres[key] = (passing, failure)
        return self._wheres[key]

    def _expression(self, project: Project, source: str) -> Expression:
        key = (project.key, source)
        if key not in self._expressions:
            self._expressions[key] = self.engine.compile_for(project, source)
        return self._expressions[key]

    def _in_window(
        self,
        widget: Widget,
        project: Project,
        records: list[Record],
        window: tuple[date | None, date | None],
        notes: list[str],
    ) -> list[Item]:
        start, end = window
        name = widget.period_date
        if name is None or (start is None and end is None):
            return [(project, record) for record in records]
        kept, undated = [], 0
        for record in records:
            day = self._day(name, project, record)
            if day is None:
                undated += self._expects_date(name, project, record)
            elif (start is None or day >= start) and (end is None or day <= end):
                kept.append((project, record))
        if undated:
            notes.append(self._undated_note(undated, project, name))
        return kept

    def _expects_date(self, name: str, project: Project, record: Record) -> bool:
        """Whether a record without this date is worth a note: every record has a creation
        date, a won one has won_at; an open deal without won_at or a bill without paid_on
        is simply not there yet."""
        if name in ("created", "updated"):
            return True
        if name == "won_at":
            return deals.outcome(project, record) == "won"
        if name == "closed_at":
            return deals.outcome(project, record) not in (None, "open")
        return False

    def _undated_note(self, count: int, project: Project, name: str) -> str:
        return ngettext(
            "{n} record of {project} has no {date} date and is left out",
            "{n} records of {project} have no {date} date and are left out",
            count,
        ).format(n=count, project=project.name, date=self.labels.date(name, [project]))

    # values of records

    def _scope(self, project: Project, record: Record) -> Any:
        scope = self._scopes.get(project.key)
        if scope is None:
            scope = self._scopes[project.key] = self.engine.scope(project)
        scope.record = record
        return scope

    def _value(self, project: Project, record: Record, path: tuple[str, ...]) -> Any:
        scope = self._scope(project, record)
        return scope.get(path[0]) if len(path) == 1 else scope.path(path)

    def _day(self, name: str, project: Project, record: Record) -> date | None:
        key = (name, record.path)
        if key not in self._days:
            if name in RECORD_DATES:
                self._days[key] = self.timeline.day(self.timeline.date(name, project, record))
            else:
                value = self._value(project, record, tuple(name.split(".")))
                self._days[key] = self.timeline.day(value)
        return self._days[key]

    # measures

    def _aggregate(self, measure: Measure, items: Sequence[Item]) -> float | None:
        kind = measure.kind
        if kind == "count":
            return len(items)
        if kind in ("sum", "avg", "min", "max"):
            numbers = [v for p, r in items if is_number(v := self._value(p, r, measure.path))]
            if kind == "sum":
                return exact_sum(numbers)
            if not numbers:
                return None
            if kind == "avg":
                return exact_sum(numbers) / len(numbers)
            return min(numbers) if kind == "min" else max(numbers)
        if kind == "weighted":
            return exact_sum(
                deals.weighted(self._scope(p, r), self._value(p, r, measure.path)) for p, r in items
            )
        if kind == "win_rate":
            outcomes = [deals.outcome(p, r) for p, r in items]
            won, lost = outcomes.count("won"), outcomes.count("lost")
            return won / (won + lost) if won + lost else None
        if kind == "conversion":
            return self._conversion(measure, items)
        if kind == "stale":
            return len(self._stale(measure, items))
        return None

    def _conversion(self, measure: Measure, items: Sequence[Item]) -> float | None:
        """Of the records that entered list A, the share that entered list B afterwards."""
        first, second = measure.stages
        reached = converted = 0
        for _project, record in items:
            stages = [move.list_name for move in self.timeline.stages(record)]
            if first in stages:
                reached += 1
                if second in stages[stages.index(first) :]:
                    converted += 1
        return converted / reached if reached else None

    def _stale(self, measure: Measure, items: Iterable[Item]) -> list[Item]:
        """Open records not updated for at least N days."""
        stale = []
        for project, record in items:
            if deals.outcome(project, record) != "open":
                continue
            updated = self._day("updated", project, record)
            if updated is not None and (self.today - updated).days >= measure.days:
                stale.append((project, record))
        return stale

    def _measured_records(self, measure: Measure, items: list[Item]) -> list[Item]:
        """The records behind a measure's number: what a record table lists."""
        if measure.kind == "weighted":
            return [(p, r) for p, r in items if deals.outcome(p, r) == "open"]
        if measure.kind == "stale":
            return self._stale(measure, items)
        if measure.kind == "win_rate":
            return [(p, r) for p, r in items if deals.outcome(p, r) in ("won", "lost")]
        if measure.kind == "conversion":
            first = measure.stages[0]
            return [
                (p, r) for p, r in items if first in [m.list_name for m in self.timeline.stages(r)]
            ]
        return items

    def _unit(self, widget: Widget, projects: list[Project]) -> Unit:
        measure = widget.measure or Measure("count")
        if measure.kind in ("win_rate", "conversion"):
            return Unit("ratio")
        if measure.kind == "velocity":
            return Unit("days")
        if widget.format == "currency":
            return Unit("money", self.currency)
        if widget.format == "percent":
            return Unit("percent")
        if widget.format == "number":
            return Unit("number")
        if measure.kind in ("count", "stale"):
            return Unit("count")
        return self._field_unit(projects, measure.path)

    def _field_unit(self, projects: list[Project], path: tuple[str, ...]) -> Unit:
        for project in projects:
            try:
                project_key, name = self.engine.resolve_path(project, path)[-1]
            except ExpressionError:
                continue
            owner = self.workspace.projects[project_key]
            definition = owner.fields.get(name)
            if definition is None:
                continue
            shown = display_field(self.engine, owner, definition)
            kind = shown.shown_as
            if kind == "currency":
                return Unit("money", shown.currency or self.currency)
            if kind == "percent":
                return Unit("percent")
        return Unit("number")

    # charts and tables per category

    def _chart(
        self,
        widget: Widget,
        projects: list[Project],
        filtered: _Filtered,
        window: tuple[date | None, date | None],
        scope: str,
    ) -> Chart:
        measure = widget.measure or Measure("count")
        by = widget.by or Grouping(("list",))
        unit = self._unit(widget, projects)
        if measure.kind == "velocity":
            keys, series = self._velocity(projects, filtered.items)
        else:
            keys, series = self._grouped(widget, projects, by, measure, filtered, window)
        labels = [self.labels.category(by, projects, key) for key in keys]
        keys, labels, series = self._sorted(widget, by, keys, labels, series)
        if widget.limit and len(keys) > widget.limit:
            labels, series = self._limited(widget, measure, labels, series)
        return Chart(
            kind=widget.type,
            title=widget.title,
            description=widget.description,
            categories=tuple(labels),
            series=tuple(series),
            unit=unit,
            category_label=self.labels.grouping(by, projects),
            series_label=self.labels.grouping(widget.series, projects) if widget.series else "",
            value_label=self.labels.measure(measure, projects, unit),
            scope=scope,
            stacked=widget.stacked,
            notes=tuple(filtered.notes),
        )

    def _grouped(
        self,
        widget: Widget,
        projects: list[Project],
        by: Grouping,
        measure: Measure,
        filtered: _Filtered,
        window: tuple[date | None, date | None],
    ) -> tuple[list[Hashable], list[Series]]:
        groups: dict[tuple[Hashable, Hashable], list[Item]] = defaultdict(list)
        undated: dict[str, int] = defaultdict(int)
        for project, record in filtered.items:
            keys = self._keys(by, project, record)
            if by.is_date and keys == [NONE]:
                undated[project.key] += self._expects_date(by.name, project, record)
                continue
            series_keys = self._keys(widget.series, project, record) if widget.series else [None]
            for key in keys:
                for series_key in series_keys:
                    groups[(key, series_key)].append((project, record))
        for project_key, count in undated.items():
            if count and (widget.period_date != by.name or window == (None, None)):
                filtered.notes.append(
                    self._undated_note(count, self.workspace.projects[project_key], by.name)
                )
        filled = window if widget.period_date == by.name else (None, None)
        categories = self._ordered(by, projects, {key for key, _s in groups}, filled)
        series_keys = (
            self._ordered(widget.series, projects, {s for _k, s in groups}, (None, None))
            if widget.series
            else [None]
        )
        series = [
            Series(
                self.labels.category(widget.series, projects, series_key)
                if widget.series
                else None,
                tuple(
                    self._aggregate(measure, groups.get((key, series_key), []))
                    for key in categories
                ),
            )
            for series_key in series_keys
        ]
        return categories, series

    def _velocity(
        self, projects: list[Project], items: list[Item]
    ) -> tuple[list[Hashable], list[Series]]:
        days: dict[str, list[float]] = defaultdict(list)
        for _project, record in items:
            for list_name, stay in self.timeline.stays(record):
                days[list_name].append(stay)
        keys = self._ordered(Grouping(("list",)), projects, set(days), (None, None))
        stays = [days.get(str(key), []) for key in keys]
        return keys, [Series(None, tuple(sum(s) / len(s) if s else None for s in stays))]

    def _keys(self, grouping: Grouping | None, project: Project, record: Record) -> list[Hashable]:
        """The categories a record falls in (several for tags and multiple values)."""
        if grouping is None:
            return [None]
        if grouping.is_date:
            day = self._day(grouping.name, project, record)
            return [unit_start(day, grouping.unit or "month")] if day else [NONE]
        if grouping.path == ("tags",):
            return list(dict.fromkeys(record.tags)) or [NONE]
        value = self._value(project, record, grouping.path)
        values = value if isinstance(value, list) else [value]
        keys = [
            _hashable(v) for v in values if v is not None and v != "" and not isinstance(v, dict)
        ]
        return list(dict.fromkeys(keys)) or [NONE]

    def _ordered(
        self,
        grouping: Grouping | None,
        projects: list[Project],
        keys: set[Hashable],
        window: tuple[date | None, date | None],
    ) -> list[Hashable]:
        """Categories in their natural order: time, the lists' or options' order, else sorted."""
        if grouping is None:
            return [None]
        present = [k for k in keys if k != NONE]
        if grouping.is_date:
            start, end = window
            days = [k for k in present if isinstance(k, date)]
            if start is not None or end is not None or days:
                start = start or (min(days) if days else end)
                end = end or (max(days) if days else start)
                return _every_unit(start, end, grouping.unit or "month")  # type: ignore[arg-type]
            return []
        declared = self._declared_order(grouping, projects)
        ranked = sorted(
            present,
            key=lambda k: (declared.get(k, len(declared)), _sortable(k), str(k)),
        )
        return [*ranked, NONE] if NONE in keys else ranked

    def _declared_order(self, grouping: Grouping, projects: list[Project]) -> dict[Hashable, int]:
        names: list[str] = []
        for project in projects:
            if grouping.path == ("list",):
                names += sorted(project.lists, key=lambda n: project.lists[n].index)
            elif grouping.path == ("tags",):
                names += project.tags
            else:
                definition = self.labels.definition(project, grouping.path)
                names += definition.options if definition else ()
        return {name: index for index, name in enumerate(dict.fromkeys(names))}

    def _sorted(
        self,
        widget: Widget,
        by: Grouping,
        keys: list[Hashable],
        labels: list[str],
        series: list[Series],
    ) -> tuple[list[Hashable], list[str], list[Series]]:
        sort = widget.sort
        natural = by.is_date or by.path in (("list",), ("tags",))
        if sort is None and widget.type == "pie" and not natural:
            sort = "-value"
        if sort is None:
            return keys, labels, series
        totals = [exact_sum(s.values[i] or 0 for s in series) for i in range(len(keys))]
        if sort.endswith("value"):
            order = sorted(range(len(keys)), key=lambda i: totals[i], reverse=sort.startswith("-"))
        else:
            order = sorted(
                range(len(keys)), key=lambda i: labels[i].casefold(), reverse=sort.startswith("-")
            )
        return (
            [keys[i] for i in order],
            [labels[i] for i in order],
            [Series(s.name, tuple(s.values[i] for i in order)) for s in series],
        )

    def _limited(
        self, widget: Widget, measure: Measure, labels: list[str], series: list[Series]
    ) -> tuple[list[str], list[Series]]:
        """The first N categories; a pie of an additive measure adds up the rest as “Others”."""
        limit = widget.limit or len(labels)
        others = widget.type == "pie" and measure.kind in _ADDITIVE
        kept = limit - 1 if others else limit
        trimmed = [
            Series(
                s.name,
                s.values[:kept] + ((exact_sum(v or 0 for v in s.values[kept:]),) if others else ()),
            )
            for s in series
        ]
        return labels[:kept] + ([_("Others")] if others else []), trimmed

    # record tables

    def _record_table(
        self, widget: Widget, projects: list[Project], filtered: _Filtered, scope: str
    ) -> RecordTable:
        columns = [
            c
            for c in widget.columns
            if not any(
                f"{p}.{n}" in self.hidden
                for project in projects
                for p, n in self._steps(project, tuple(c.split(".")))
            )
        ]
        items = self._measured_records(widget.measure or Measure("count"), filtered.items)
        if widget.sort:
            path = tuple(widget.sort.lstrip("-").split("."))
            items.sort(
                key=lambda item: _sortable(self._value(*item, path)),
                reverse=widget.sort.startswith("-"),
            )
        if widget.limit:
            items = items[: widget.limit]
        headers = tuple(self.labels.column(projects, c) for c in columns)
        rows = tuple(
            tuple(self._cell(project, record, c) for c in columns) for project, record in items
        )
        return RecordTable(
            widget.title, widget.description, headers, rows, scope, tuple(filtered.notes)
        )

    def _steps(self, project: Project, path: tuple[str, ...]) -> list[tuple[str, str]]:
        try:
            return self.engine.resolve_path(project, path)
        except ExpressionError:
            return []

    def _cell(self, project: Project, record: Record, column: str) -> str:
        path = tuple(column.split("."))
        value = self._value(project, record, path)
        located = self.labels.located(project, path)
        if located is None:
            return self.formatter.value(None, value)
        return self.labels.presenter.field_value(*located, value)

    # labels


def _expression_paths(source: str) -> list[tuple[str, ...]]:
    from crmcli.formulas.compiler import compile_expression

    try:
        expression = compile_expression(source)
    except FormulaError:
        return []
    return [*expression.paths, *((name,) for name in expression.names if name not in DERIVED_NAMES)]


def _hashable(value: Any) -> Hashable:
    return value if isinstance(value, Hashable) else str(value)


def _sortable(value: Any) -> tuple[int, Any]:
    """Empty values last; numbers, dates and text each compare among themselves."""
    if value is None or value == "" or value == [] or value == NONE:
        return (3, 0)
    if isinstance(value, bool | int | float):
        return (0, value)
    if isinstance(value, datetime | date):
        return (1, value.isoformat())
    return (2, str(value).casefold())


def _every_unit(start: date, end: date, unit: str) -> list[Hashable]:
    first, last = unit_start(start, unit), unit_start(end, unit)
    found: list[Hashable] = []
    current = first
    while current <= last:
        found.append(current)
        current = unit_start(current, unit, 1)
    return found
