"""What a widget's number is: count, sum, average, smallest or largest of a field, the
weighted pipeline, win rate, conversion from one list to another, stale records; the records
behind that number; and the unit it is shown in."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from crmcli.core.decimals import exact_sum
from crmcli.core.model import Project
from crmcli.engine import deals
from crmcli.engine.compute import Engine
from crmcli.engine.present import display_field
from crmcli.formulas.values import is_number
from crmcli.git.timeline import Timeline
from crmcli.reports.figures import Unit
from crmcli.reports.labels import Labels
from crmcli.reports.spec import Measure, Widget
from crmcli.reports.values import Item, RecordValues

ADDITIVE = ("count", "sum", "weighted", "stale")  # measures whose parts add up to the whole


@dataclass(frozen=True, slots=True)
class Measures:
    engine: Engine
    values: RecordValues
    labels: Labels
    timeline: Timeline
    today: date

    def aggregate(self, measure: Measure, items: Sequence[Item]) -> float | None:
        kind = measure.kind
        if kind == "count":
            return len(items)
        value = self.values.value
        if kind in ("sum", "avg", "min", "max"):
            numbers = [v for v in self.values.values(items, measure.path) if is_number(v)]
            if kind == "sum":
                return exact_sum(numbers)
            if not numbers:
                return None
            if kind == "avg":
                return exact_sum(numbers) / len(numbers)
            return min(numbers) if kind == "min" else max(numbers)
        if kind == "weighted":
            return exact_sum(
                deals.weighted(self.values.scope(p, r), value(p, r, measure.path)) for p, r in items
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
            stages = self.timeline.stages(record)
            if first in stages:
                reached += 1
                if second in stages[stages.index(first) :]:
                    converted += 1
        return converted / reached if reached else None

    def _stale(self, measure: Measure, items: Iterable[Item]) -> list[Item]:
        """Open records not updated for at least N days."""
        opened = [(p, r) for p, r in items if deals.outcome(p, r) == "open"]
        today, days = self.today, measure.days
        return [
            item
            for item, updated in zip(opened, self.values.item_days("updated", opened), strict=True)
            if updated is not None and (today - updated).days >= days
        ]

    def measured_records(self, measure: Measure, items: list[Item]) -> list[Item]:
        """The records behind a measure's number: what a record table lists."""
        if measure.kind == "weighted":
            return [(p, r) for p, r in items if deals.outcome(p, r) == "open"]
        if measure.kind == "stale":
            return self._stale(measure, items)
        if measure.kind == "win_rate":
            return [(p, r) for p, r in items if deals.outcome(p, r) in ("won", "lost")]
        if measure.kind == "conversion":
            first = measure.stages[0]
            return [(p, r) for p, r in items if first in self.timeline.stages(r)]
        return items

    def unit(self, widget: Widget, projects: list[Project]) -> Unit:
        measure = widget.measure or Measure("count")
        if measure.kind in ("win_rate", "conversion"):
            return Unit("ratio")
        if measure.kind == "velocity":
            return Unit("days")
        if widget.format == "currency":
            return Unit("money", self.labels.currency)
        if widget.format == "percent":
            return Unit("percent")
        if widget.format == "number":
            return Unit("number")
        if measure.kind in ("count", "stale"):
            return Unit("count")
        return self._field_unit(projects, measure.path)

    def _field_unit(self, projects: list[Project], path: tuple[str, ...]) -> Unit:
        for project in projects:
            located = self.labels.located(project, path)
            if located is None:
                continue
            shown = display_field(self.engine, *located)
            kind = shown.shown_as
            if kind == "currency":
                return Unit("money", shown.currency or self.labels.currency)
            if kind == "percent":
                return Unit("percent")
        return Unit("number")
