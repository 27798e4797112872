"""The aggregates a rollup applies to the values it gathers: sum, count, min, max, avg, join."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from crmcli.core.decimals import exact_sum
from crmcli.formulas.values import display_text, is_number

AGGREGATES = ("sum", "count", "min", "max", "avg", "join")
Aggregate = Callable[[list[Any], bool], Any]  # (values, values are whole records)


def _aggregate_sum(values: list[Any], records: bool) -> Any:
    return exact_sum(v for v in values if is_number(v))


def _aggregate_count(values: list[Any], records: bool) -> int:
    return len(values) if records else sum(1 for v in values if v not in (None, "", []))


def _aggregate_avg(values: list[Any], records: bool) -> Any:
    numbers = [v for v in values if is_number(v)]
    return exact_sum(numbers) / len(numbers) if numbers else None


def _aggregate_extreme(pick: Callable[[Iterable[Any]], Any]) -> Aggregate:
    def aggregate(values: list[Any], records: bool) -> Any:
        present = [v for v in values if v is not None]
        try:
            return pick(present) if present else None
        except TypeError:
            return None

    return aggregate


def _aggregate_join(values: list[Any], records: bool) -> str:
    return ", ".join(display_text(v) for v in values if v not in (None, ""))


AGGREGATORS: dict[str, Aggregate] = {
    "sum": _aggregate_sum,
    "count": _aggregate_count,
    "avg": _aggregate_avg,
    "min": _aggregate_extreme(min),
    "max": _aggregate_extreme(max),
    "join": _aggregate_join,
}
