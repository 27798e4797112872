"""What a dashboard file asks for, read into frozen dataclasses and checked against the
workspace: an unknown project, field, list, tag or measure is a problem at its line.

`crm check` and `crm dashboard` share `check_dashboard`, so a dashboard that checks clean
renders, and one that does not is refused with the same messages.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from crmcli.core.model import Project
from crmcli.core.problems import ProblemLog, did_you_mean
from crmcli.engine.compute import Engine
from crmcli.engine.types import ExpressionError
from crmcli.errors import UsageError
from crmcli.i18n import _

# Dates every record has for reports, besides its date fields (see git/timeline.py).
RECORD_DATES = ("created", "updated", "won_at", "closed_at")
UNITS = ("day", "week", "month", "quarter", "year")
FIELD_MEASURES = ("sum", "avg", "min", "max", "weighted")
_PATH = r"[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*"
_STAGE = r"""'[^']*'|"[^"]*"|[^,()'"]+?"""
_MEASURE = re.compile(
    rf"""^\s*(?:(?P<plain>count|velocity|win_rate)
    |(?P<aggregate>sum|avg|min|max|weighted)\(\s*(?P<path>{_PATH})\s*\)
    |conversion\(\s*(?P<first>{_STAGE})\s*,\s*(?P<second>{_STAGE})\s*\)
    |stale\(\s*(?P<days>[1-9][0-9]*)\s*\))\s*$""",
    re.VERBOSE,
)
_GROUPING = re.compile(
    rf"^\s*(?:(?P<unit>{'|'.join(UNITS)})\(\s*(?P<dated>{_PATH})\s*\)|(?P<path>{_PATH}))\s*$"
)
_RELATIVE = re.compile(rf"^\s*(?:(last|next)\s+)?([1-9][0-9]*)\s+({'|'.join(UNITS)})s?\s*$")
_GROUP_SORTS = ("value", "-value", "label", "-label")


@dataclass(frozen=True, slots=True)
class Period:
    """A window of days: the last or next N whole days, weeks, months… or two dates."""

    direction: str | None = None  # "last" (ending today) or "next" (starting this unit)
    count: int = 0
    unit: str = "month"
    start: date | None = None
    end: date | None = None

    def window(self, today: date) -> tuple[date | None, date | None]:
        if self.direction == "last":
            return unit_start(today, self.unit, 1 - self.count), today
        if self.direction == "next":
            following = unit_start(today, self.unit, self.count)
            return unit_start(today, self.unit), following - timedelta(days=1)
        return self.start, self.end


def unit_start(day: date, unit: str, shift: int = 0) -> date:
    """First day of the day/week/month/quarter/year holding `day`, moved by `shift` units."""
    if unit == "day":
        return day + timedelta(days=shift)
    if unit == "week":
        return day - timedelta(days=day.weekday()) + timedelta(weeks=shift)
    if unit == "year":
        return date(day.year + shift, 1, 1)
    months = 3 if unit == "quarter" else 1
    index = day.year * 12 + (day.month - 1) // months * months + shift * months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True, slots=True)
class Measure:
    """count, sum(field)…, weighted(field), conversion(A, B), velocity, win_rate, stale(N)."""

    kind: str
    path: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()
    days: int = 0


@dataclass(frozen=True, slots=True)
class Grouping:
    """What a widget groups by: list, tags, a field (path), or a date per unit."""

    path: tuple[str, ...]
    unit: str | None = None

    @property
    def is_date(self) -> bool:
        return self.unit is not None

    @property
    def name(self) -> str:
        return ".".join(self.path)


@dataclass(frozen=True, slots=True)
class Widget:
    index: int
    type: str
    title: str
    description: str
    projects: tuple[str, ...]
    measure: Measure | None
    projects_key: str | None = None  # "project" or "projects"; None: the dashboard's
    both_project_keys: bool = False
    by: Grouping | None = None
    series: Grouping | None = None
    stacked: bool = False
    date: str | None = None
    lists: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    where: str | None = None
    period: Period | None = None
    columns: tuple[str, ...] = ()
    sort: str | None = None
    limit: int | None = None
    format: str | None = None

    @property
    def key_path(self) -> tuple[Any, ...]:
        return ("widgets", self.index)

    @property
    def period_date(self) -> str | None:
        """The date the period filters on: `date:`, else the date grouped by, else the date
        the measure implies (win rate: when deals closed), else none (the state today)."""
        if self.date:
            return self.date
        if self.by is not None and self.by.is_date:
            return self.by.name
        if self.measure is not None and self.measure.kind == "win_rate":
            return "closed_at"
        return None


@dataclass(frozen=True, slots=True)
class Dashboard:
    name: str
    path: str
    title: str
    description: str = ""
    period: Period | None = None
    projects: tuple[str, ...] = ()
    lists: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    where: str | None = None
    currency: str | None = None
    widgets: tuple[Widget, ...] = ()


# reading


def read_dashboard(path: str, data: Any) -> Dashboard:
    """The dashboard a (schema-valid) file describes; wrong shapes are read as absent."""
    data = _mapping(data)
    filters = _mapping(data.get("filters"))
    name = path.rpartition("/")[2].removesuffix(".yaml")
    widgets = tuple(
        read_widget(index, item, _strings(filters.get("projects")))
        for index, item in enumerate(data.get("widgets") or [])
        if isinstance(item, dict)
    )
    return Dashboard(
        name=name,
        path=path,
        title=_text(data.get("title")) or name,
        description=_text(data.get("description")),
        period=read_period(data.get("period")),
        projects=_strings(filters.get("projects")),
        lists=_strings(filters.get("lists")),
        tags=_strings(filters.get("tags")),
        where=_text(filters.get("where")) or None,
        currency=_text(data.get("currency")) or None,
        widgets=widgets,
    )


def read_widget(index: int, data: dict[str, Any], default_projects: tuple[str, ...]) -> Widget:
    projects_key = next((key for key in ("projects", "project") if _strings(data.get(key))), None)
    projects = _strings(data.get(projects_key)) if projects_key else default_projects
    limit = data.get("limit")
    return Widget(
        index=index,
        type=_text(data.get("type")) or "stat",
        title=_text(data.get("title")),
        description=_text(data.get("description")),
        projects=projects,
        projects_key=projects_key,
        both_project_keys=bool(data.get("project")) and bool(data.get("projects")),
        measure=parse_measure(_text(data.get("measure")) or "count"),
        by=parse_grouping(_text(data.get("by"))),
        series=parse_grouping(_text(data.get("series"))),
        stacked=data.get("stacked") is True,
        date=_text(data.get("date")) or None,
        lists=_strings(data.get("lists")),
        tags=_strings(data.get("tags")),
        where=_text(data.get("where")) or None,
        period=read_period(data.get("period")),
        columns=_strings(data.get("columns")),
        sort=_text(data.get("sort")) or None,
        limit=limit if isinstance(limit, int) and not isinstance(limit, bool) else None,
        format=_text(data.get("format")) or None,
    )


def parse_measure(text: str) -> Measure | None:
    match = _MEASURE.match(text)
    if match is None:
        return None
    if match["plain"]:
        return Measure(match["plain"])
    if match["aggregate"]:
        return Measure(match["aggregate"], path=tuple(match["path"].split(".")))
    if match["days"]:
        return Measure("stale", days=int(match["days"]))
    return Measure("conversion", stages=(_unquote(match["first"]), _unquote(match["second"])))


def parse_grouping(text: str) -> Grouping | None:
    match = _GROUPING.match(text) if text else None
    if match is None:
        return None
    if match["unit"]:
        return Grouping(tuple(match["dated"].split(".")), match["unit"])
    return Grouping(tuple(match["path"].split(".")))


def read_period(data: Any) -> Period | None:
    if not isinstance(data, dict) or not data:
        return None
    for direction in ("last", "next"):
        if direction in data:
            match = _RELATIVE.match(str(data[direction]))
            if match is None or match[1]:
                return None
            return Period(direction, int(match[2]), match[3])
    return Period(start=_day(data.get("from")), end=_day(data.get("to")))


def parse_period_option(text: str) -> Period:
    """--period: `last 12 months`, `next 2 quarters`, `2025-01-01..2025-12-31`, `2025-07-01..`."""
    match = _RELATIVE.match(text)
    if match and match[1]:
        return Period(match[1], int(match[2]), match[3])
    first, dots, last = (part.strip() for part in text.partition(".."))
    start, end = _day(first), _day(last)
    readable = (start is not None or not first) and (end is not None or not last)
    if dots and readable and (start or end) and not (start and end and start > end):
        return Period(start=start, end=end)
    raise UsageError(
        _(
            "--period: “{text}” is not a period; use e.g. “last 12 months”, “next 2 quarters” "
            "or “2025-01-01..2025-12-31”"
        ).format(text=text)
    )


def _unquote(text: str) -> str:
    text = text.strip()
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"" else text


def _day(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(item for item in value if isinstance(item, str))
    return ()


# checking


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
                self.check_where(("filters", "where"), project, dashboard.where, "")
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
        prefix: str = "",
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
            where = ", ".join(project.name for project in projects)
            message = (
                _("no list “{name}” in {projects}{hint}")
                if kind == "lists"
                else _("no tag “{name}” in {projects}{hint}")
            )
            self.problem(
                (*key_path, index),
                "unknown-list" if kind == "lists" else "unknown-tag",
                prefix + message.format(name=name, projects=where, hint=did_you_mean(name, known)),
            )

    def check_where(
        self, key_path: tuple[Any, ...], project: Project, where: str, prefix: str
    ) -> None:
        try:
            self.engine.compile_for(project, where)
        except ExpressionError as error:
            self.problem(
                key_path,
                error.code,
                prefix
                + _("{project}: {message}").format(project=project.name, message=error.message),
            )


class _WidgetChecker:
    def __init__(self, parent: _DashboardChecker, widget: Widget) -> None:
        self.parent = parent
        self.engine = parent.engine
        self.widget = widget
        self.prefix = _("widget “{title}”: ").format(title=widget.title)
        self.projects = parent.known(widget.projects)

    def problem(self, key: str | tuple[Any, ...], code: str, message: str) -> None:
        keys = (key,) if isinstance(key, str) else key
        self.parent.problem((*self.widget.key_path, *keys), code, self.prefix + message)

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
            (*widget.key_path, "lists"), widget.lists, self.projects, "lists", self.prefix
        )
        self.parent.check_names(
            (*widget.key_path, "tags"), widget.tags, self.projects, "tags", self.prefix
        )
        if widget.where:
            for project in self.projects:
                self.parent.check_where(
                    (*widget.key_path, "where"), project, widget.where, self.prefix
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
                            projects=", ".join(p.name for p in self.projects),
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
                    projects=", ".join(p.name for p in self.projects)
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


def dashboard_names(config_files: Mapping[str, Any], folder: str) -> list[str]:
    """The names of the dashboards (file stems) found in `folder`."""
    prefix = folder + "/"
    return sorted(
        path[len(prefix) : -len(".yaml")]
        for path in config_files
        if path.startswith(prefix) and path.endswith(".yaml")
    )
