"""Which records a widget counts: those of its projects in the dashboard's and the widget's
lists and tags, passing both `where:` expressions, and dated inside the period. Lists and tags
are matched by name, so the same list in two projects is one category; what is left out for
want of a date is said in a note."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import date

from crmcli.core.model import Project, Record
from crmcli.engine.compute import Engine
from crmcli.formulas.compiler import Expression
from crmcli.formulas.values import FormulaError
from crmcli.i18n import _, counted, ngettext
from crmcli.i18n.lists import value_list
from crmcli.reports.alike import Alike, alike_key
from crmcli.reports.labels import Labels
from crmcli.reports.period import Period
from crmcli.reports.spec import Dashboard, Widget
from crmcli.reports.values import Item, RecordValues

Window = tuple[date | None, date | None]


@dataclass(slots=True)
class Filtered:
    items: list[Item] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def widget_window(widget: Widget, period: Period | None, today: date) -> Window:
    """The days a widget's date must fall in: the period applies to the widget's date
    (`date:`, else the date it is grouped by, else none: the state of the workspace today)."""
    if period is None or widget.period_date is None:
        return (None, None)
    return period.window(today)


class Filters:
    def __init__(
        self,
        engine: Engine,
        values: RecordValues,
        labels: Labels,
        dashboard: Dashboard,
        tags: Sequence[str],
    ) -> None:
        self.engine = engine
        self.values = values
        self.labels = labels
        self.dashboard = dashboard
        self.tags = tuple(tags)
        self._expressions: dict[tuple[str, str], Expression] = {}
        self._wheres: dict[tuple[str, str], tuple[set[str], str]] = {}
        self._records: dict[str, list[Record]] = {}
        self._groups: dict[tuple[str, Alike], list[list[Record]]] = {}
        self._selected: dict[tuple[object, ...], Filtered] = {}

    def select(self, widget: Widget, projects: list[Project], window: Window) -> Filtered:
        """The widget's records and notes; widgets that filter alike share one selection
        (each gets its own copy: a chart adds notes of its own)."""
        key = (
            tuple(project.key for project in projects),
            widget.lists,
            widget.tags,
            widget.where,
            widget.period_date,
            window,
        )
        if key not in self._selected:
            self._selected[key] = self._select(widget, projects, window)
        selected = self._selected[key]
        return Filtered(list(selected.items), list(selected.notes))

    def _select(self, widget: Widget, projects: list[Project], window: Window) -> Filtered:
        filtered = Filtered()
        dashboard = self.dashboard
        for project in projects:
            tests: list[Callable[[Record], bool]] = []
            for names, kind, strict in (
                (dashboard.lists, "lists", False),
                ((*dashboard.tags, *self.tags), "tags", False),
                (widget.lists, "lists", True),
                (widget.tags, "tags", True),
            ):
                test = self._name_filter(project, names, kind, strict, filtered.notes)
                if test is not None:
                    tests.append(test)
            for source in (dashboard.where, widget.where):
                if source:
                    tests.append(self._where_filter(project, source, filtered.notes))
            records = self.records(project)
            for test in tests:
                records = [record for record in records if test(record)]
            filtered.items += self._in_window(widget, project, records, window, filtered.notes)
        return filtered

    def records(self, project: Project) -> list[Record]:
        """The project's records, listed once for every widget (a listing of the index's
        records asks for each of them again)."""
        if project.key not in self._records:
            self._records[project.key] = list(project.records.values())
        return self._records[project.key]

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
                    names=value_list(names),
                )
            )
            return None
        if kind == "lists":
            return lambda record: record.list_name in wanted
        return lambda record: not wanted.isdisjoint(record.tags)

    def _where_filter(
        self, project: Project, source: str, notes: list[str]
    ) -> Callable[[Record], bool]:
        passing, failure = self.where_results(project, source)
        if failure:
            notes.append(failure)
        return lambda record: record.path in passing

    def where_results(self, project: Project, source: str) -> tuple[set[str], str]:
        """The records an expression keeps (evaluated once per dashboard, and once per group
        of records it cannot tell apart: `reports/alike.py`), and a note when it fails on
        some (the first such record: the first of its group)."""
        key = (project.key, source)
        if key not in self._wheres:
            expression = self._expression(project, source)
            scope = self.engine.scope(project)
            passing: set[str] = set()
            failure = ""
            for records in self._alike(project, alike_key(project, expression)):
                scope.record = records[0]
                try:
                    answer: bool | FormulaError = bool(expression(scope))
                except FormulaError as error:
                    answer = error
                if answer is True:
                    passing.update(record.path for record in records)
                elif isinstance(answer, FormulaError) and not failure:
                    failure = _(
                        "“{where}” fails on {record}: {message}; such records are left out"
                    ).format(
                        where=source,
                        record=project.record_label(records[0]),
                        message=answer.message,
                    )
            self._wheres[key] = (passing, failure)
        return self._wheres[key]

    def _alike(self, project: Project, key_of: Alike | None) -> list[list[Record]]:
        """The project's records in groups that a `where:` cannot tell apart, in the order
        of their first records (so the first failing group holds the first failing record);
        each record alone for an expression reading more than stored values. Grouped once
        for every expression reading the same names."""
        records = self.records(project)
        if key_of is None:
            return [[record] for record in records]
        groups = self._groups.get((project.key, key_of))
        if groups is None:
            alike: dict[Hashable, list[Record]] = {}
            for index, record in enumerate(records):
                found = key_of(record)  # keys are tuples: an index is a group of its own
                alike.setdefault(index if found is None else found, []).append(record)
            groups = self._groups[(project.key, key_of)] = list(alike.values())
        return groups

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
        window: Window,
        notes: list[str],
    ) -> list[Item]:
        start, end = window
        name = widget.period_date
        if name is None or (start is None and end is None):
            return [(project, record) for record in records]
        kept, undated = [], 0
        expected = date_expected(self.values, name, project)
        for record, day in zip(records, self.values.days(name, project, records), strict=True):
            if day is None:
                undated += expected(record)
            elif (start is None or day >= start) and (end is None or day <= end):
                kept.append((project, record))
        if undated:
            notes.append(undated_note(self.labels, undated, project, name))
        return kept


def date_expected(values: RecordValues, name: str, project: Project) -> Callable[[Record], bool]:
    """Whether a record of the project without this date is worth a note: every record has a
    creation date, a won one has won_at, a closed one closed_at; an open deal without won_at
    or a bill without paid_on is simply not there yet."""
    if name in ("created", "updated"):
        return lambda _record: True
    if name in ("won_at", "closed_at"):
        lists = values.timeline.outcome_lists(project, "won" if name == "won_at" else "closed")
        return lambda record: record.list_name in lists
    return lambda _record: False


def undated_note(labels: Labels, count: int, project: Project, name: str) -> str:
    return ngettext(
        "{n} record of {project} has no {date} date and is left out",
        "{n} records of {project} have no {date} date and are left out",
        count,
    ).format(n=counted(count), project=project.name, date=labels.date(name, [project]))
