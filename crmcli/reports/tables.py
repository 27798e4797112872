"""A record table widget (`type: table` with `columns:` and no `by:`): the records behind
the widget's measure, sorted and cut to `limit:`, one row each, cells formatted as
`crm show` shows them."""

from __future__ import annotations

from dataclasses import dataclass

from crmcli.core.model import Project, Record
from crmcli.reports.figures import RecordTable
from crmcli.reports.filters import Filtered
from crmcli.reports.labels import Labels
from crmcli.reports.measures import Measures
from crmcli.reports.spec import Measure, Widget
from crmcli.reports.values import RecordValues, sortable


@dataclass(frozen=True, slots=True)
class RecordTables:
    values: RecordValues
    measures: Measures
    labels: Labels

    def table(
        self,
        widget: Widget,
        projects: list[Project],
        columns: list[str],
        filtered: Filtered,
        scope: str,
    ) -> RecordTable:
        items = self.measures.measured_records(widget.measure or Measure("count"), filtered.items)
        if widget.sort:
            path = tuple(widget.sort.lstrip("-").split("."))
            items.sort(
                key=lambda item: sortable(self.values.value(item[0], item[1], path)),
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

    def _cell(self, project: Project, record: Record, column: str) -> str:
        path = tuple(column.split("."))
        value = self.values.value(project, record, path)
        located = self.labels.located(project, path)
        if located is None:
            return self.labels.presenter.value(project, column, value)
        return self.labels.presenter.field_value(*located, value)
