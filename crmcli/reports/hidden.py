"""The fields a role may not see, in a dashboard: a widget that counts, groups, dates, sorts
or filters by one is left out with a note, and a record table drops such a column."""

from __future__ import annotations

from collections.abc import Iterable

from crmcli.core.model import ACTIVITY_NAMES, DERIVED_NAMES, Project
from crmcli.engine.compute import Engine
from crmcli.engine.types import ExpressionError
from crmcli.formulas.values import FormulaError
from crmcli.reports.spec import Dashboard, Widget


class HiddenFields:
    def __init__(self, engine: Engine, hidden: frozenset[str]) -> None:
        self.engine = engine
        self.hidden = hidden

    def used_by(self, dashboard: Dashboard, widget: Widget, projects: list[Project]) -> list[str]:
        """The hidden fields a widget's numbers depend on, as `project.field`."""
        if not self.hidden:
            return []
        paths = _widget_paths(dashboard, widget)
        found: list[str] = []
        for project in projects:
            for path in paths:
                found += self._hidden_steps(project, path)
        return sorted(set(found))

    def visible_columns(self, columns: Iterable[str], projects: list[Project]) -> list[str]:
        return [
            column
            for column in columns
            if not any(
                self._hidden_steps(project, tuple(column.split("."))) for project in projects
            )
        ]

    def _hidden_steps(self, project: Project, path: tuple[str, ...]) -> list[str]:
        """The hidden fields a path reads on its way (a lookup's reference, then its field)."""
        try:
            steps = self.engine.resolve_path(project, path)
        except ExpressionError:
            return []
        return [f"{p}.{n}" for p, n in steps if f"{p}.{n}" in self.hidden]


def _widget_paths(dashboard: Dashboard, widget: Widget) -> list[tuple[str, ...]]:
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
    for source in (dashboard.where, widget.where):
        if source:
            paths.extend(_expression_paths(source))
    return paths


def _expression_paths(source: str) -> list[tuple[str, ...]]:
    from crmcli.formulas.compiler import compile_expression

    try:
        expression = compile_expression(source)
    except FormulaError:
        return []
    names = [n for n in expression.names if n not in DERIVED_NAMES or n in ACTIVITY_NAMES]
    return [*expression.paths, *((name,) for name in names)]
