"""The functions of the expression language: IF, ROUND, SUM, TODAY…"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from crmcli.core.decimals import exact_sum, half_up
from crmcli.core.text_forms import folded
from crmcli.formulas.values import (
    ANY,
    BOOL,
    DATE,
    NUMBER,
    TEXT,
    Evaluator,
    FormulaError,
    Scope,
    as_date,
    display_text,
    is_number,
    kind_of,
    subtract,
)
from crmcli.i18n import _


@dataclass(frozen=True, slots=True)
class Function:
    name: str
    implementation: Callable[..., Any]
    min_args: int
    max_args: int | None
    result: str = ANY
    needs_scope: bool = False
    lazy: bool = False  # receives evaluators, not values (IF)


# functions


def _flatten(values: Iterable[Any]) -> list[Any]:
    flat: list[Any] = []
    for value in values:
        if isinstance(value, list):
            flat.extend(_flatten(value))
        elif value is not None:
            flat.append(value)
    return flat


def _numbers(name: str, values: Iterable[Any]) -> list[float]:
    numbers = _flatten(values)
    for value in numbers:
        if not is_number(value):
            raise FormulaError(
                "type-error",
                _("{function} needs numbers, not {kind}").format(
                    function=name, kind=kind_of(value)
                ),
            )
    return numbers


MAX_ROUND_DIGITS = 28  # a Decimal's default precision: more places than any amount has


def _round(value: Any, digits: Any = 0) -> Any:
    if value is None:
        return None
    if not is_number(value) or not isinstance(digits, int):
        raise FormulaError("type-error", _("ROUND needs a number"))
    digits = max(-MAX_ROUND_DIGITS, min(MAX_ROUND_DIGITS, digits))  # ROUND(x, 100000)
    rounded = half_up(value, digits)
    return int(rounded) if digits <= 0 else float(rounded)


def _extreme(name: str, pick: Callable[[list[Any]], Any]) -> Callable[..., Any]:
    def apply(*values: Any) -> Any:
        flat = _flatten(values)
        if not flat:
            return None
        try:
            return pick([as_date(v) for v in flat])
        except TypeError:
            raise FormulaError(
                "type-error", _("{function} needs values of one kind").format(function=name)
            ) from None

    return apply


def _sum(*values: Any) -> Any:
    return exact_sum(_numbers("SUM", values))


def _average(*values: Any) -> Any:
    numbers = _numbers("AVG", values)
    return exact_sum(numbers) / len(numbers) if numbers else None


def _length(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, str | list):
        return len(value)
    raise FormulaError(
        "type-error", _("LEN needs text or a list, not {kind}").format(kind=kind_of(value))
    )


def _text_function(name: str, function: Callable[[str], str]) -> Callable[[Any], Any]:
    def apply(value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, str):
            raise FormulaError(
                "type-error",
                _("{function} needs text, not {kind}").format(function=name, kind=kind_of(value)),
            )
        return function(value)

    return apply


def _date_part(name: str, part: str) -> Callable[[Any], Any]:
    def apply(value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, date):
            raise FormulaError(
                "type-error",
                _("{function} needs a date, not {kind}").format(function=name, kind=kind_of(value)),
            )
        return getattr(value, part)

    return apply


def _days_between(start: Any, end: Any) -> Any:
    for value in (start, end):
        if value is not None and not isinstance(value, date):
            raise FormulaError(
                "type-error",
                _("DAYS_BETWEEN needs dates, not {kind}").format(kind=kind_of(value)),
            )
    return subtract(end, start)


def _contains(text: Any, part: Any) -> bool:
    """Accent- and case-insensitive: CONTAINS(name, "eleonore") finds “Éléonore”, "елка"
    finds “Ёлка”; in a list, any item that contains it."""
    if text is None or part is None:
        return False
    if isinstance(text, list):
        return any(_contains(item, part) for item in text)
    return folded(display_text(part)) in folded(display_text(text))


def _date(text: Any) -> Any:
    """A date literal: DATE("2026-01-31"), so a formula compares with a fixed day."""
    if text is None or isinstance(text, date):
        return as_date(text)
    try:
        return date.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        pass
    raise FormulaError(
        "type-error",
        _("DATE needs a day written YYYY-MM-DD, not {value}").format(value=display_text(text)),
    )


def _if(
    scope: Scope, condition: Evaluator, then: Evaluator, otherwise: Evaluator | None = None
) -> Any:
    if condition(scope):
        return then(scope)
    return otherwise(scope) if otherwise else None


def _coalesce(scope: Scope, *evaluators: Evaluator) -> Any:
    for evaluator in evaluators:
        value = evaluator(scope)
        if value not in (None, "", []):
            return value
    return None


def _days_until(scope: Scope, value: Any) -> Any:
    return subtract(value, scope.today)


FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in (
        Function("IF", _if, 2, 3, ANY, lazy=True),
        Function("COALESCE", _coalesce, 1, None, ANY, lazy=True),
        Function("ROUND", _round, 1, 2, NUMBER),
        Function("MIN", _extreme("MIN", min), 1, None, ANY),
        Function("MAX", _extreme("MAX", max), 1, None, ANY),
        Function(
            "ABS", lambda v: None if v is None else abs(_numbers("ABS", [v])[0]), 1, 1, NUMBER
        ),
        Function("SUM", _sum, 1, None, NUMBER),
        Function("AVG", _average, 1, None, NUMBER),
        Function("LEN", _length, 1, 1, NUMBER),
        Function("CONCAT", lambda *v: "".join(display_text(x) for x in v), 1, None, TEXT),
        Function("UPPER", _text_function("UPPER", str.upper), 1, 1, TEXT),
        Function("LOWER", _text_function("LOWER", str.lower), 1, 1, TEXT),
        Function("TODAY", lambda scope: scope.today, 0, 0, DATE, needs_scope=True),
        Function("DAYS_BETWEEN", _days_between, 2, 2, NUMBER),
        Function("DAYS_UNTIL", _days_until, 1, 1, NUMBER, needs_scope=True),
        Function("YEAR", _date_part("YEAR", "year"), 1, 1, NUMBER),
        Function("MONTH", _date_part("MONTH", "month"), 1, 1, NUMBER),
        Function("DAY", _date_part("DAY", "day"), 1, 1, NUMBER),
        Function("DATE", _date, 1, 1, DATE),
        Function("CONTAINS", _contains, 2, 2, BOOL),
    )
}
