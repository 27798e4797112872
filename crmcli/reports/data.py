"""A dashboard's figures, computed from the engine's records: frozen dataclasses that
charts.py draws and html.py lays out. Numbers stay numbers here; `Unit` formats them.

Each widget becomes one figure: its records (filters.py), its number or numbers
(measures.py), per category (grouping.py) or per record (tables.py), what it covers in words,
or a note instead when it uses a field hidden from the reader's role (hidden.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time

from crmcli.core.model import Project, Workspace
from crmcli.engine.compute import Engine
from crmcli.engine.present import Presenter
from crmcli.engine.reader import Reader, workspace_now
from crmcli.fields.formatting import Formatter
from crmcli.git.timeline import Timeline
from crmcli.i18n import _
from crmcli.i18n.lists import and_list
from crmcli.reports.aside import (
    Aside,
    Need,
    aside_indices,
    shared_needs,
    start_aside,
    worth_forking,
)
from crmcli.reports.board import build_board
from crmcli.reports.figures import BoardFigure, Chart, DashboardData, Figure, Omitted, Stat
from crmcli.reports.filters import Filtered, Filters, Window, widget_window
from crmcli.reports.grouping import Grouper, limited, sorted_categories
from crmcli.reports.hidden import HiddenFields
from crmcli.reports.labels import Labels
from crmcli.reports.measures import Measures
from crmcli.reports.period import Period
from crmcli.reports.spec import Dashboard, Grouping, Measure, Widget
from crmcli.reports.tables import RecordTables
from crmcli.reports.values import RecordValues


@dataclass(frozen=True, slots=True)
class Options:
    """What the command line changes: a period for every widget, extra tags, who reads."""

    today: date
    period: Period | None = None
    tags: tuple[str, ...] = ()
    reader: Reader = field(default_factory=Reader)
    revision: str | None = None


def compute_dashboard(
    workspace: Workspace,
    engine: Engine,
    dashboard: Dashboard,
    timeline: Timeline,
    options: Options,
    child_setup: Callable[[], None] | None = None,
) -> DashboardData:
    """The dashboard's figures in its order. On a large workspace a forked child computes the
    charts meanwhile (`reports/aside.py`), after `child_setup` (its own connection to the
    index; None: no child, as for a workspace read from a git revision); what both halves
    read is found first, once."""
    figures = _Figures(workspace, engine, dashboard, timeline, options)
    aside = figures.set_aside(child_setup) if child_setup is not None else None
    if any(widget.dates_updates for widget in dashboard.widgets):
        timeline.prefetch()  # after the fork: only this process reads git's answers
    away = aside.indices if aside is not None else ()
    mine = {i: figures.figure(w) for i, w in enumerate(dashboard.widgets) if i not in away}
    theirs = aside.figures() if aside is not None else {}
    return DashboardData(
        name=dashboard.name,
        title=dashboard.title,
        description=dashboard.description,
        workspace_name=workspace.config.name,
        locale=figures.formatter.locale,
        currency=figures.labels.currency,
        as_of=options.today,
        revision=options.revision,
        role=options.reader.role.name if options.reader.role and options.reader.hidden else None,
        tags=options.tags,
        figures=tuple(
            mine[i] if i in mine else theirs.get(i) or figures.figure(widget)
            for i, widget in enumerate(dashboard.widgets)
        ),
    )


class _Figures:
    """Widgets → figures, one dashboard at a time: the parts share what they read once."""

    def __init__(
        self,
        workspace: Workspace,
        engine: Engine,
        dashboard: Dashboard,
        timeline: Timeline,
        options: Options,
    ) -> None:
        self.workspace = workspace
        self.dashboard = dashboard
        self.options = options
        self.engine = engine
        self.timeline = timeline
        self.formatter = Formatter.for_workspace(workspace.config)
        currency = dashboard.currency or workspace.config.currency
        self.labels = Labels(workspace, engine, self.formatter, currency)
        values = RecordValues(engine, timeline)
        self.hidden = HiddenFields(engine, options.reader.hidden)
        self.filters = Filters(engine, values, self.labels, dashboard, options.tags)
        self.measures = Measures(engine, values, self.labels, timeline, options.today)
        self.grouper = Grouper(workspace, values, self.measures, self.labels, timeline)
        self.tables = RecordTables(values, self.measures, self.labels)

    def set_aside(self, child_setup: Callable[[], None]) -> Aside | None:
        """A forked child computing the charts of a large dashboard, once what both halves
        read is found here; None: every figure is computed here."""
        widgets = self.dashboard.widgets
        indices = aside_indices(widgets)
        keys = {key for widget in widgets for key in widget.projects}
        records = sum(len(p.records) for k, p in self.workspace.projects.items() if k in keys)
        if not worth_forking(widgets, indices, records):
            return None
        for need in shared_needs(widgets, indices, self._needs):
            self._find(need)

        def in_child(chosen: list[int]) -> dict[int, Figure]:
            child_setup()
            return {i: self.figure(widgets[i]) for i in chosen}

        return start_aside(indices, in_child)

    def _needs(self, widget: Widget) -> set[Need]:
        """What a widget reads that another may read too: its projects' records and the
        records its `where:` expressions keep. (Not its dates: a widget dates only the
        records its filters keep, and another may keep others.)"""
        wheres = [w for w in (self.dashboard.where, widget.where) if w]
        return {
            (key, where)
            for key in widget.projects
            if key in self.workspace.projects
            for where in ("", *wheres)
        }

    def _find(self, need: Need) -> None:
        key, where = need
        project = self.workspace.projects[key]
        self.filters.records(project)
        if where:
            self.filters.where_results(project, where)

    def figure(self, widget: Widget) -> Figure:
        projects = [
            self.workspace.projects[k] for k in widget.projects if k in self.workspace.projects
        ]
        hidden = self.hidden.used_by(self.dashboard, widget, projects)
        if hidden:
            return Omitted(
                widget.title,
                widget.description,
                _("Not shown to the {role} role: it uses {fields}.").format(
                    role=self.options.reader.role.name if self.options.reader.role else "",
                    fields=and_list(hidden),
                ),
            )
        period = self.options.period or widget.period or self.dashboard.period
        window = widget_window(widget, period, self.options.today)
        filtered = self.filters.select(widget, projects, window)
        scope = self._scope_text(widget, window, projects)
        if widget.type == "stat":
            measure = widget.measure or Measure("count")
            return Stat(
                widget.title,
                widget.description,
                self.measures.aggregate(measure, filtered.items),
                self.measures.unit(widget, projects),
                scope,
                tuple(filtered.notes),
            )
        if widget.type == "board":
            return self.board(widget, projects, filtered, scope)
        if widget.type == "table" and widget.by is None and widget.columns:
            columns = self.hidden.visible_columns(widget.columns, projects)
            return self.tables.table(widget, projects, columns, filtered, scope)
        return self._chart(widget, projects, filtered, window, scope)

    def board(
        self, widget: Widget, projects: list[Project], filtered: Filtered, scope: str
    ) -> BoardFigure:
        """The board of the widget's project (the checks ensure it has one, with lists)."""
        project = projects[0]
        records = [record for item_project, record in filtered.items if item_project is project]
        presenter = Presenter(self.workspace, self.engine, self.formatter)
        now = workspace_now(self.workspace)
        if now.date() != self.options.today:  # a report as of another day: that evening
            now = datetime.combine(self.options.today, time(23, 59), tzinfo=now.tzinfo)
        shown = build_board(project, records, presenter, self.options.reader, self.timeline, now)
        return BoardFigure(widget.title, widget.description, shown, scope, tuple(filtered.notes))

    def _scope_text(self, widget: Widget, window: Window, projects: list[Project]) -> str:
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
        return _("as of {day}").format(day=self.formatter.day(self.options.today))

    def _chart(
        self,
        widget: Widget,
        projects: list[Project],
        filtered: Filtered,
        window: Window,
        scope: str,
    ) -> Chart:
        measure = widget.measure or Measure("count")
        by = widget.by or Grouping(("list",))
        unit = self.measures.unit(widget, projects)
        if measure.kind == "velocity":
            keys, series = self.grouper.velocity(projects, filtered.items)
        else:
            keys, series = self.grouper.grouped(widget, projects, by, measure, filtered, window)
        labels = [self.labels.category(by, projects, key) for key in keys]
        keys, labels, series = sorted_categories(widget, by, keys, labels, series)
        if widget.limit and len(keys) > widget.limit:
            labels, series = limited(widget, measure, labels, series)
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
