"""Derived deal values, decided once: outcome, probability, weighted amount, pipeline value.

Dashboards, `crm diff`, automations and exports read them here. A deal's own `probability`
field overrides its list's: held by a `percent` field (or a formula or lookup shown as a
percent) it is a number of percent, 80 meaning 80 %; held by a `number` field it is a
fraction from 0 to 1. The value of a deal is its project's value field: `value_field:` in
`_project.yaml`, else the first currency field — never a field name guessed by the code.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from crmcli.core.decimals import exact_sum, in_decimal
from crmcli.core.model import FieldDef, ListDef, Project, Record
from crmcli.core.problems import ProblemLog
from crmcli.i18n import _

if TYPE_CHECKING:
    from crmcli.engine.compute import Engine
    from crmcli.engine.scope import RecordScope

PROBABILITY = "probability"
_CLOSED_PROBABILITY = {"won": 1.0, "lost": 0.0, "closed": 0.0}
_times, _divide = in_decimal(operator.mul), in_decimal(operator.truediv)


def stage(project: Project, record: Record) -> ListDef | None:
    """The list (stage) a record is in, when its project declares it."""
    name = record.data.get("list")
    return project.lists.get(name) if isinstance(name, str) else None


def outcome(project: Project, record: Record) -> str | None:
    """open, won, lost or closed: what the record's list says of the deal."""
    current = stage(project, record)
    return current.outcome if current else None


def list_probability(project: Project, record: Record) -> float | None:
    """The probability the record's list gives (a won deal is certain, a lost one is nil)."""
    current = stage(project, record)
    if current is None:
        return None
    if current.probability is not None:
        return current.probability
    return _CLOSED_PROBABILITY.get(current.outcome)


def value_field(project: Project) -> FieldDef | None:
    """The field that holds what a deal is worth: the schema's `value_field:`, else the
    project's first currency field (decided once by the typed configuration)."""
    return project.fields.get(project.value_field) if project.value_field else None


def holds_percent(engine: Engine, project: Project, definition: FieldDef) -> bool:
    """Whether a field's numbers count in percent (80 = 80 %) rather than as fractions."""
    from crmcli.engine.present import display_field

    return display_field(engine, project, definition).shown_as == "percent"


def probability(scope: RecordScope) -> float:
    """The chance, from 0 to 1, that the scope's deal is won: its own `probability` field
    where it has a number, else its list's; 0 when neither says."""
    project = scope.project
    definition = project.fields.get(PROBABILITY)
    if definition is not None:
        own = _own_probability(scope, definition)
        if _is_number(own):
            return _divide(own, 100) if holds_percent(scope.engine, project, definition) else own
    return list_probability(project, scope.record) or 0.0


def _own_probability(scope: RecordScope, definition: FieldDef) -> Any:
    """The deal's own probability as its field holds it (not the list's, which a scope
    gives for the name `probability` when the record has no value)."""
    if definition.computed:
        return scope.get(PROBABILITY)
    return scope.record.data.get(PROBABILITY)


def check_probabilities(
    engine: Engine, log: ProblemLog, only: Mapping[str, list[Record]] | None = None
) -> None:
    """A deal's own probability outside its range is a problem at the record: the forecast
    would count it as more than certain or less than nil. `only`: the records to check, by
    project (an incremental `crm check`)."""
    for project in engine.workspace.projects.values():
        definition = project.fields.get(PROBABILITY)
        if definition is None:
            continue
        percent = holds_percent(engine, project, definition)
        scope = engine.scope(project)
        records = project.records.values() if only is None else only.get(project.key, [])
        for record in records:
            scope.record = record
            own = _own_probability(scope, definition)
            if _is_number(own) and not 0 <= own <= (100 if percent else 1):
                log.add(
                    record.path,
                    (PROBABILITY,),
                    "probability-out-of-range",
                    _range_message(own, percent),
                    field=f"{project.key}.{PROBABILITY}",
                )


def _range_message(value: Any, percent: bool) -> str:
    if percent:
        return _(
            "probability {value} is outside 0 to 100: it counts in percent, 80 meaning 80 %"
        ).format(value=value)
    return _("probability {value} is outside 0 to 1: it is a fraction, 0.8 meaning 80 %").format(
        value=value
    )


def weighted(scope: RecordScope, value: Any) -> float:
    """What an open deal worth `value` counts in the weighted forecast; 0 when it is not
    open or its value is no number."""
    if outcome(scope.project, scope.record) != "open" or not _is_number(value):
        return 0.0
    return _times(value, probability(scope))


def is_pipeline(project: Project) -> bool:
    """A sales pipeline: a value field to forecast and lists with probabilities."""
    return value_field(project) is not None and any(
        current.probability is not None for current in project.lists.values()
    )


def pipeline_value(engine: Engine, project: Project, records: Iterable[Record]) -> tuple[Any, Any]:
    """(open value, weighted forecast) of these deals: the sum of the open deals' values,
    and of each one's value × its probability."""
    definition = value_field(project)
    if definition is None:
        return 0, 0
    scope = engine.scope(project)
    values, forecasts = [], []
    for record in records:
        scope.record = record
        value = scope.get(definition.key)
        if outcome(project, record) == "open" and _is_number(value):
            values.append(value)
            forecasts.append(weighted(scope, value))
    return exact_sum(values), exact_sum(forecasts)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
