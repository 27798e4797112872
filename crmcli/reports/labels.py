"""The words a dashboard shows around its numbers: category labels (a client's name for a
reference, a member's name, a localised month), axis labels, and the label of each measure."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from datetime import date

from crmcli.core.model import FieldDef, Project, Workspace
from crmcli.engine.activity import ACTIVITY_LABELS
from crmcli.engine.compute import Engine
from crmcli.engine.present import Presenter
from crmcli.engine.types import ExpressionError
from crmcli.fields.formatting import Formatter
from crmcli.i18n import _
from crmcli.reports.figures import Unit
from crmcli.reports.spec import Grouping, Measure

NONE = ("", "none")  # the category of records without a value


class Labels:
    def __init__(
        self, workspace: Workspace, engine: Engine, formatter: Formatter, currency: str
    ) -> None:
        self.workspace = workspace
        self.engine = engine
        self.formatter = formatter
        self.currency = currency
        self.presenter = Presenter(workspace, engine, formatter)

    def definition(self, project: Project, path: tuple[str, ...]) -> FieldDef | None:
        located = self.located(project, path)
        return located[1] if located else None

    def located(self, project: Project, path: tuple[str, ...]) -> tuple[Project, FieldDef] | None:
        """The field a path ends on, with the project it belongs to."""
        try:
            project_key, name = self.engine.resolve_path(project, path)[-1]
        except ExpressionError:
            return None
        owner = self.workspace.projects[project_key]
        definition = owner.fields.get(name)
        return (owner, definition) if definition is not None else None

    def category(self, grouping: Grouping | None, projects: list[Project], key: Hashable) -> str:
        if grouping is None or key is None:
            return ""
        if key == NONE:
            return _("(none)")
        if grouping.is_date and isinstance(key, date):
            return period_label(key, grouping.unit or "month", self.formatter.locale)
        if grouping.path in (("list",), ("tags",)):
            return str(key)
        for project in projects:
            located = self.located(project, grouping.path)
            if located is not None:
                return self.presenter.field_value(*located, key)
        return self.formatter.value(None, key)

    def column(self, projects: list[Project], column: str) -> str:
        for project in projects:
            definition = self.definition(project, tuple(column.split(".")))
            if definition is not None:
                return definition.label[:1].upper() + definition.label[1:]
        if column in ACTIVITY_LABELS:
            return ACTIVITY_LABELS[column][:1].upper() + ACTIVITY_LABELS[column][1:]
        return column

    def date(self, name: str, projects: Sequence[Project] = ()) -> str:
        labels = {
            "created": _("created"),
            "updated": _("last update"),
            "won_at": _("won"),
            "closed_at": _("closed"),
        }
        if name in labels:
            return labels[name]
        for project in projects:
            definition = self.definition(project, tuple(name.split(".")))
            if definition is not None:
                return definition.label
        return name

    def grouping(self, grouping: Grouping, projects: list[Project]) -> str:
        if grouping.is_date:
            unit = {
                "day": _("Day"),
                "week": _("Week"),
                "month": _("Month"),
                "quarter": _("Quarter"),
                "year": _("Year"),
            }[grouping.unit or "month"]
            return _("{unit} ({date})").format(unit=unit, date=self.date(grouping.name, projects))
        if grouping.path == ("list",):
            return _("List")
        if grouping.path == ("tags",):
            return _("Tag")
        for project in projects:
            definition = self.definition(project, grouping.path)
            if definition is not None:
                return definition.label[:1].upper() + definition.label[1:]
        return grouping.name

    def measure(self, measure: Measure, projects: list[Project], unit: Unit) -> str:
        field_label = ""
        if measure.path:
            for project in projects:
                definition = self.definition(project, measure.path)
                if definition is not None:
                    field_label = definition.label
                    break
            field_label = field_label or ".".join(measure.path)
        label = {
            "count": _("Number of records"),
            "sum": _("Sum of {field}"),
            "avg": _("Average {field}"),
            "min": _("Smallest {field}"),
            "max": _("Largest {field}"),
            "weighted": _("Weighted {field}"),
            "win_rate": _("Win rate"),
            "conversion": _("Conversion {first} → {second}"),
            "velocity": _("Average days in list"),
            "stale": _("Open, not updated for {days} days"),
        }[measure.kind].format(
            field=field_label,
            first=measure.stages[0] if measure.stages else "",
            second=measure.stages[1] if measure.stages else "",
            days=measure.days,
        )
        if unit.kind == "money":
            from babel.numbers import get_currency_symbol

            symbol = get_currency_symbol(
                unit.currency or self.currency, locale=self.formatter.locale
            )
            return f"{label} ({symbol})"
        return label


def period_label(day: date, unit: str, locale: str) -> str:
    from babel.dates import format_skeleton

    if unit == "year":
        return str(day.year)
    skeleton = {"day": "yMMMd", "week": "yMMMd", "month": "yMMM", "quarter": "yQQQ"}[unit]
    label = format_skeleton(skeleton, day, locale=locale)
    return _("week of {day}").format(day=label) if unit == "week" else label
