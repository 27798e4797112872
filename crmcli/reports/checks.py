"""The checks dashboards add to `crm check`: every file under dashboards/ read and checked
against the workspace; an unknown project, field, list, tag or measure is a problem at its line.

`crm check` and `crm dashboard` share `check_dashboard`, so a dashboard that checks clean
renders, and one that does not is refused with the same messages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from crmcli.core.layout import DASHBOARDS_DIR
from crmcli.core.model import Project
from crmcli.core.problems import ProblemLog, did_you_mean
from crmcli.engine.check_context import Check, CheckContext
from crmcli.engine.compute import Engine
from crmcli.engine.types import ExpressionError
from crmcli.i18n import _
from crmcli.i18n.lists import and_list, or_list
from crmcli.reports.period import Period
from crmcli.reports.spec import (
    FIELD_MEASURES,
    RECORD_DATES,
    Dashboard,
    Grouping,
    Widget,
    read_dashboard,
)

_GROUP_SORTS = ("value", "-value", "label", "-label")


def check_dashboards(context: CheckContext) -> None:
    for path, file in context.workspace.config_files.items():
        if path.startswith(DASHBOARDS_DIR + "/") and isinstance(file.data, dict):
            check_dashboard(context.engine, path, file.data, context.log)


CHECKS: tuple[Check, ...] = (check_dashboards,)


def check_dashboard(engine: Engine, path: str, data: Any, log: ProblemLog) -> Dashboard:
    """Read a dashboard file and report what does not fit the workspace to `log`."""
    dashboard = read_dashboard(path, data)
    _DashboardChecker(engine, dashboard, log).run()
    return dashboard


class _DashboardChecker:
    def __init__(self, engine: Engine, dashboard: Dashboard, log: ProblemLog) -> None:
        self.engine = engine
        self.projects = engine.workspace.projects
        self.dashboard = dashboard
        self.log = log

    def problem(self, key_path: tuple[Any, ...], code: str, message: str) -> None:
        self.log.add(self.dashboard.path, key_path, code, message)

    def run(self) -> None:
        dashboard = self.dashboard
        self.known_projects(("filters", "projects"), dashboard.projects)
        self.check_period(("period",), dashboard.period)
        in_scope = self.known(
            [*dashboard.projects, *(key for widget in dashboard.widgets for key in widget.projects)]
        )
        self.check_names(("filters", "lists"), dashboard.lists, in_scope, "lists")
        self.check_names(("filters", "tags"), dashboard.tags, in_scope, "tags")
        if dashboard.where:
            for project in in_scope:
                self.check_where(("filters", "where"), project, dashboard.where, str)
        for widget in dashboard.widgets:
            _WidgetChecker(self, widget).run()

    def known(self, keys: Iterable[str]) -> list[Project]:
        return [self.projects[key] for key in dict.fromkeys(keys) if key in self.projects]

    def known_projects(self, key_path: tuple[Any, ...], keys: Iterable[str]) -> None:
        for index, key in enumerate(keys):
            if self.is_unknown(key):
                self.problem((*key_path, index), "unknown-project", self.unknown_message(key))

    def is_unknown(self, key: str) -> bool:
        """Not a project; one whose schema is broken reports itself."""
        return key not in self.projects and key not in self.engine.workspace.unreadable_projects

    def unknown_message(self, key: str) -> str:
        return _("no project “{project}” in this workspace{hint}").format(
            project=key, hint=did_you_mean(key, self.projects)
        )

    def check_period(self, key_path: tuple[Any, ...], period: Period | None) -> None:
        if period and period.start and period.end and period.start > period.end:
            self.problem(
                key_path,
                "bad-period",
                _("the period starts ({start}) after it ends ({end})").format(
                    start=period.start.isoformat(), end=period.end.isoformat()
                ),
            )

    def check_names(
        self,
        key_path: tuple[Any, ...],
        names: tuple[str, ...],
        projects: list[Project],
        kind: str,
        within: Callable[[str], str] = str,
    ) -> None:
        """Lists or tags must exist in at least one of the projects (they merge by name)."""
        known = [
            name
            for project in projects
            for name in (project.lists if kind == "lists" else project.tags)
        ]
        for index, name in enumerate(names):
            if name in known or not projects:
                continue
            where = or_list(project.name for project in projects)
            message = (
                _("no list “{name}” in {projects}{hint}")
                if kind == "lists"
                else _("no tag “{name}” in {projects}{hint}")
            )
            self.problem(
                (*key_path, index),
                "unknown-list" if kind == "lists" else "unknown-tag",
                within(message.format(name=name, projects=where, hint=did_you_mean(name, known))),
            )

    def check_where(
        self, key_path: tuple[Any, ...], project: Project, where: str, within: Callable[[str], str]
    ) -> None:
        try:
            self.engine.compile_for(project, where)
        except ExpressionError as error:
            self.problem(
                key_path,
                error.code,
                within(
                    _("{project}: {message}").format(project=project.name, message=error.message)
                ),
            )


class _WidgetChecker:
    def __init__(self, parent: _DashboardChecker, widget: Widget) -> None:
        self.parent = parent
        self.engine = parent.engine
        self.widget = widget
        self.projects = parent.known(widget.projects)

    def within(self, message: str) -> str:
        """A problem's message, said of this widget."""
        return _("widget “{title}”: {message}").format(title=self.widget.title, message=message)

    def problem(self, key: str | tuple[Any, ...], code: str, message: str) -> None:
        keys = (key,) if isinstance(key, str) else key
        self.parent.problem((*self.widget.key_path, *keys), code, self.within(message))

    def run(self) -> None:
        widget = self.widget
        if not widget.projects:
            self.problem(
                (),
                "no-project",
                _("which project? add project: or filters: {projects: [...]} to the dashboard"),
            )
        if widget.both_project_keys:
            self.problem(
                "project",
                "project-and-projects",
                _("say project: (one) or projects: (several), not both"),
            )
        if widget.projects_key is not None:
            for index, key in enumerate(widget.projects):
                if self.parent.is_unknown(key):
                    self.problem(
                        ("projects", index) if widget.projects_key == "projects" else "project",
                        "unknown-project",
                        self.parent.unknown_message(key),
                    )
        if not self.projects:
            return
        self.check_measure()
        self.check_grouping("by", widget.by)
        self.check_grouping("series", widget.series)
        self.check_shape()
        if widget.date:
            self.check_date("date", widget.date)
        self.parent.check_names(
            (*widget.key_path, "lists"), widget.lists, self.projects, "lists", self.within
        )
        self.parent.check_names(
            (*widget.key_path, "tags"), widget.tags, self.projects, "tags", self.within
        )
        if widget.where:
            for project in self.projects:
                self.parent.check_where(
                    (*widget.key_path, "where"), project, widget.where, self.within
                )
        self.parent.check_period((*widget.key_path, "period"), widget.period)
        self.check_columns()

    def check_field(self, key: str | tuple[Any, ...], path: tuple[str, ...]) -> str | None:
        """The type of a field path in every project of the widget; None after a problem."""
        kinds = set()
        for project in self.projects:
            try:
                kinds.add(self.engine.type_of_path(project, path))
            except ExpressionError as error:
                self.problem(key, error.code, error.message)
                return None
        return kinds.pop() if len(kinds) == 1 else "any"

    def check_measure(self) -> None:
        measure = self.widget.measure
        if measure is None:
            return
        if measure.kind in FIELD_MEASURES:
            kind = self.check_field("measure", measure.path)
            if kind not in (None, "number", "any"):
                self.problem(
                    "measure",
                    "type-error",
                    _("cannot {measure} “{field}”: it is not a number").format(
                        measure=measure.kind, field=".".join(measure.path)
                    ),
                )
        elif measure.kind == "conversion":
            for stage in measure.stages:
                known = [name for project in self.projects for name in project.lists]
                if stage not in known:
                    self.problem(
                        "measure",
                        "unknown-list",
                        _("no list “{name}” in {projects}{hint}").format(
                            name=stage,
                            projects=or_list(p.name for p in self.projects),
                            hint=did_you_mean(stage, known),
                        ),
                    )
        elif measure.kind == "win_rate" and not any(
            stage.outcome == "won" for project in self.projects for stage in project.lists.values()
        ):
            self.problem(
                "measure",
                "no-won-list",
                _("a win rate needs a list with outcome: won, and {projects} has none").format(
                    projects=and_list(p.name for p in self.projects)
                ),
            )
        elif measure.kind == "velocity":
            self.check_velocity()

    def check_velocity(self) -> None:
        widget = self.widget
        if widget.type == "stat":
            self.problem(
                "measure",
                "bad-measure",
                _("velocity gives days per stage: use a bar, pie or table widget, not a stat"),
            )
        if (widget.by and widget.by.path != ("list",)) or widget.series:
            self.problem(
                "by" if widget.by and widget.by.path != ("list",) else "series",
                "bad-grouping",
                _("velocity is grouped by list (the stage), nothing else"),
            )

    def check_grouping(self, key: str, grouping: Grouping | None) -> None:
        if grouping is None:
            return
        if grouping.is_date:
            if key == "series":
                self.problem(
                    key,
                    "bad-grouping",
                    _("series splits bars by a list, tags or a field, not by a date"),
                )
            else:
                self.check_date(key, grouping.name)
            return
        self.check_field(key, grouping.path)

    def check_date(self, key: str, name: str) -> None:
        if name in RECORD_DATES:
            return
        kind = self.check_field(key, tuple(name.split(".")))
        if kind not in (None, "date"):
            self.problem(
                key,
                "not-a-date",
                _(
                    "“{name}” is not a date: use a date field, created, updated, won_at or closed_at"
                ).format(name=name),
            )

    def check_shape(self) -> None:
        widget = self.widget
        velocity = widget.measure is not None and widget.measure.kind == "velocity"
        grouped = widget.by is not None or velocity  # velocity is per list without saying so
        if widget.stacked and widget.series is None:
            self.problem(
                "stacked",
                "stacked-without-series",
                _("stacked: true stacks the series: add series: (e.g. tags, source, list)"),
            )
        if widget.type in ("pie", "bar") and not grouped:
            self.problem(
                (),
                "no-grouping",
                _("a {type} chart needs by: (e.g. list, tags, month(created))").format(
                    type=widget.type
                ),
            )
        if widget.type == "board" and (len(self.projects) != 1 or not self.projects[0].lists):
            self.problem(
                (),
                "board-shape",
                _("a board shows the lists of one project: name one project that has lists"),
            )
        if widget.type == "table" and widget.by is not None and widget.columns:
            self.problem(
                "columns",
                "table-shape",
                _("a table either groups (by:) or lists records (columns:), not both"),
            )
        if widget.type == "table" and not grouped and not widget.columns:
            self.problem(
                (),
                "table-shape",
                _("a table needs by: (a row per category) or columns: (a row per record)"),
            )
        if widget.sort and not widget.columns and widget.sort not in _GROUP_SORTS:
            self.problem(
                "sort",
                "bad-sort",
                _("sort by value, -value, label or -label, not “{sort}”").format(sort=widget.sort),
            )

    def check_columns(self) -> None:
        widget = self.widget
        for index, column in enumerate(widget.columns):
            self.check_field(("columns", index), tuple(column.split(".")))
        if widget.sort and widget.columns and widget.by is None:
            self.check_field("sort", tuple(widget.sort.lstrip("-").split(".")))
