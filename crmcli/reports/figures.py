"""What a dashboard shows, as plain frozen data: cards, charts, tables, the reason a widget
is left out. data.py computes them; charts.py and html.py draw them; `Unit` formats numbers
the same way for both."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from crmcli.core.decimals import exact_sum
from crmcli.core.left_out import left_out_message
from crmcli.errors import Problem
from crmcli.fields.formatting import Formatter
from crmcli.i18n import _, ngettext
from crmcli.i18n.lists import value_list
from crmcli.reports.board import Board


@dataclass(frozen=True, slots=True)
class Unit:
    """How a measure's numbers read: count, number, money, percent (35 → 35 %), ratio
    (0.35 → 35 %) or days."""

    kind: str
    currency: str | None = None

    def format(self, formatter: Formatter, value: float | None) -> str:
        from babel.numbers import format_decimal, format_percent

        if value is None:
            return "—"
        if self.kind == "money":
            return formatter.money(value, self.currency)
        if self.kind == "percent":
            return formatter.percent(value)
        if self.kind == "ratio":  # one decimal at most, in the locale's pattern (43,1 %)
            return format_percent(
                round(value, 3), locale=formatter.locale, decimal_quantization=False
            )
        if self.kind == "days":
            number = format_decimal(round(value, 1), locale=formatter.locale, format="#,##0.#")
            return ngettext("{n} day", "{n} days", round(value)).format(n=number)
        if self.kind == "count":
            return format_decimal(round(value), locale=formatter.locale)
        return format_decimal(value, locale=formatter.locale, format="#,##0.##")

    def compact(self, formatter: Formatter, value: float) -> str:
        """Short form for chart axes and labels: 12 k€, 1,2 M€, 35 %."""
        from babel.numbers import format_compact_currency, format_compact_decimal

        if self.kind == "money":
            return format_compact_currency(
                value,
                self.currency or formatter.currency,
                locale=formatter.locale,
                fraction_digits=1,
            )
        if self.kind in ("count", "number") and abs(value) >= 10_000:
            return format_compact_decimal(value, locale=formatter.locale, fraction_digits=1)
        return self.format(formatter, value)


@dataclass(frozen=True, slots=True)
class Series:
    name: str | None
    values: tuple[float | None, ...]


@dataclass(frozen=True, slots=True)
class Stat:
    title: str
    description: str
    value: float | None
    unit: Unit
    scope: str
    notes: tuple[str, ...] = ()
    kind: str = "stat"


@dataclass(frozen=True, slots=True)
class Chart:
    """A pie, a bar chart or a table of a measure per category (and per series)."""

    kind: str
    title: str
    description: str
    categories: tuple[str, ...]
    series: tuple[Series, ...]
    unit: Unit
    category_label: str
    series_label: str
    value_label: str
    scope: str
    stacked: bool = False
    notes: tuple[str, ...] = ()

    @property
    def totals(self) -> tuple[float, ...]:
        return category_totals(self.series, len(self.categories))

    @property
    def is_empty(self) -> bool:
        return not any(v for s in self.series for v in s.values)


@dataclass(frozen=True, slots=True)
class RecordTable:
    title: str
    description: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    scope: str
    notes: tuple[str, ...] = ()
    kind: str = "records"


@dataclass(frozen=True, slots=True)
class Omitted:
    """A widget left out, and why (fields hidden from the role)."""

    title: str
    description: str
    reason: str
    kind: str = "omitted"


@dataclass(frozen=True, slots=True)
class BoardFigure:
    """A `type: board` widget: the project's board (reports/board.py), as `crm board` draws it."""

    title: str
    description: str
    board: Board
    scope: str
    notes: tuple[str, ...] = ()
    kind: str = "board"


Figure = Stat | Chart | RecordTable | Omitted | BoardFigure


def category_totals(series: Sequence[Series], count: int) -> tuple[float, ...]:
    """Each category's total over all series: a stacked bar's height, a sort by value."""
    return tuple(exact_sum(s.values[i] or 0 for s in series) for i in range(count))


@dataclass(frozen=True, slots=True)
class DashboardData:
    name: str
    title: str
    description: str
    workspace_name: str
    locale: str
    currency: str
    as_of: date
    revision: str | None
    role: str | None
    tags: tuple[str, ...]
    figures: tuple[Figure, ...]
    left_out: tuple[Problem, ...] = ()  # records that cannot be read, so not counted


def notices(data: DashboardData) -> list[str]:
    """The warnings the page and its image carry: each record the figures could not count."""
    return [left_out_message(problem) for problem in data.left_out]


def subtitle(data: DashboardData, formatter: Formatter) -> str:
    """Whose, when, which revision, which tags, for which role: the line under the title."""
    parts = [data.workspace_name, _("as of {day}").format(day=formatter.day(data.as_of))]
    if data.revision:
        parts.append(_("revision {revision}").format(revision=data.revision))
    if data.tags:
        parts.append(_("tags: {tags}").format(tags=value_list(data.tags)))
    if data.role:
        parts.append(_("as seen by the {role} role").format(role=data.role))
    return " · ".join(part for part in parts if part)
