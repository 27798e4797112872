"""What a dashboard file asks for, read into frozen dataclasses: its filters and period, and
each widget's measure and groupings. Wrong shapes are read as absent (the JSON Schema reports
them); reports/checks.py checks the result against the workspace.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from crmcli.reports.period import UNITS, Period, read_period

# Dates every record has for reports, besides its date fields (see git/timeline.py).
RECORD_DATES = ("created", "updated", "won_at", "closed_at")
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
    def dates_updates(self) -> bool:
        """Whether it dates records' last updates, which git always has a say in."""
        if self.measure is not None and self.measure.kind == "stale":
            return True
        dates = (self.period_date, *(g.name for g in (self.by, self.series) if g is not None))
        return "updated" in dates or "updated" in self.columns

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


def _unquote(text: str) -> str:
    text = text.strip()
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"" else text


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


def dashboard_names(config_files: Mapping[str, Any], folder: str) -> list[str]:
    """The names of the dashboards (file stems) found in `folder`."""
    prefix = folder + "/"
    return sorted(
        path[len(prefix) : -len(".yaml")]
        for path in config_files
        if path.startswith(prefix) and path.endswith(".yaml")
    )
