"""Values in the expression language: their kinds, and how operators combine them.

Values follow spreadsheet habits: an empty field is None, arithmetic with None gives None
(except text concatenation, where None is ""), comparisons with None are false. Numbers are
stored as floats, but arithmetic on fractional numbers is done in decimal from the shortest
representation of each operand, so 7250.75 × 0.7 is 5075.525, not 5075.524999….
"""

from __future__ import annotations

import ast
import functools
import math
import operator
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from crmcli.core.decimals import in_decimal
from crmcli.core.text_forms import folded
from crmcli.i18n import LazyText, _, lazy

_plus, _minus, _times = (in_decimal(f) for f in (operator.add, operator.sub, operator.mul))

# Static types of values, used to catch `amount - name` at the schema line.
NUMBER, TEXT, DATE, BOOL, LIST, ANY = "number", "text", "date", "bool", "list", "any"


class Scope(Protocol):
    """What an expression reads: names, dotted paths through references, and today's date."""

    today: date

    def get(self, name: str) -> Any: ...

    def path(self, names: tuple[str, ...]) -> Any: ...


class FormulaError(Exception):
    """An expression that cannot be compiled or evaluated; code names the kind."""

    def __init__(self, code: str, message: str, column: int = 0) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.column = column


Evaluator = Callable[[Scope], Any]


# value helpers


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def kind_of(value: Any) -> str:
    if value is None:
        return _("empty")
    if isinstance(value, bool):
        return _("yes/no")
    if is_number(value):
        return _("number")
    if isinstance(value, str):
        return _("text")
    if isinstance(value, date):
        return _("date")
    if isinstance(value, list):
        return _("list")
    return type(value).__name__


def _type_error(message: str | LazyText, left: Any, right: Any) -> FormulaError:
    """message: a whole sentence with {left} and {right}, the kinds of the two values."""
    return FormulaError("type-error", message.format(left=kind_of(left), right=kind_of(right)))


def as_date(value: Any) -> Any:
    return value.date() if isinstance(value, datetime) else value


def _add(left: Any, right: Any) -> Any:
    if left is None or right is None:
        other = right if left is None else left
        return other if isinstance(other, str) else None
    if is_number(left) and is_number(right):
        return _plus(left, right)
    if isinstance(left, str) and isinstance(right, str):
        return left + right
    if isinstance(left, date) and is_number(right):
        return as_date(left) + timedelta(days=right)
    if isinstance(left, list) and isinstance(right, list):
        return left + right
    raise _type_error(_("cannot add {left} and {right}"), left, right)


def subtract(left: Any, right: Any) -> Any:
    if left is None or right is None:
        return None
    if is_number(left) and is_number(right):
        return _minus(left, right)
    if isinstance(left, date) and isinstance(right, date):
        return (as_date(left) - as_date(right)).days
    if isinstance(left, date) and is_number(right):
        return as_date(left) - timedelta(days=right)
    raise _type_error(_("cannot subtract {left} and {right}"), left, right)


def _numeric(message: LazyText, function: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def apply(left: Any, right: Any) -> Any:
        if left is None or right is None:
            return None
        if not (is_number(left) and is_number(right)):
            raise _type_error(message, left, right)
        if right == 0 and function is not _times:
            raise FormulaError("division-by-zero", _("division by zero"))
        return function(left, right)

    return apply


def _ordering(function: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def compare(left: Any, right: Any) -> bool:
        if left is None or right is None:
            return False
        left, right = as_date(left), as_date(right)
        if (is_number(left) and is_number(right)) or type(left) is type(right):
            return function(left, right)
        raise _type_error(_("cannot compare {left} and {right}"), left, right)

    return compare


def _equal(left: Any, right: Any) -> bool:
    if isinstance(left, date) and isinstance(right, date):
        return as_date(left) == as_date(right)
    return left == right


def _contains(item: Any, container: Any) -> bool:
    if container is None or item is None:
        return False
    if isinstance(container, str):
        if not isinstance(item, str):
            raise _type_error(_("cannot search {left} and {right}"), item, container)
        return folded(item) in folded(container)
    if isinstance(container, list):
        return item in container
    raise _type_error(_("cannot search {left} and {right}"), item, container)


def in_range(function: Callable[..., Any]) -> Callable[..., Any]:
    """An operation whose result must exist: `close_date + 99999999` or `amount * 1e308` is
    a problem of the formula (its value unknown), never a crash of the command."""

    @functools.wraps(function)
    def apply(*operands: Any) -> Any:
        try:
            result = function(*operands)
        except ArithmeticError:
            raise _out_of_range(operands) from None
        if isinstance(result, float) and not math.isfinite(result):
            raise _out_of_range(operands)
        return result

    return apply


def _out_of_range(operands: tuple[Any, ...]) -> FormulaError:
    if any(isinstance(operand, date) for operand in operands):
        return FormulaError("out-of-range", _("the result is a date outside the years 1 to 9999"))
    return FormulaError("out-of-range", _("the result is a number too large to compute"))


subtract = in_range(subtract)
BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: in_range(_add),
    ast.Sub: subtract,
    ast.Mult: in_range(_numeric(lazy("cannot multiply {left} and {right}"), _times)),
    ast.Div: in_range(
        _numeric(lazy("cannot divide {left} and {right}"), in_decimal(operator.truediv))
    ),
    ast.FloorDiv: in_range(_numeric(lazy("cannot divide {left} and {right}"), operator.floordiv)),
    ast.Mod: in_range(_numeric(lazy("cannot divide {left} and {right}"), operator.mod)),
}
COMPARE: dict[type, Callable[[Any, Any], bool]] = {
    ast.Eq: _equal,
    ast.NotEq: lambda a, b: not _equal(a, b),
    ast.Lt: _ordering(operator.lt),
    ast.LtE: _ordering(operator.le),
    ast.Gt: _ordering(operator.gt),
    ast.GtE: _ordering(operator.ge),
    ast.In: _contains,
    ast.NotIn: lambda a, b: not _contains(a, b),
}
CONSTANT_NAMES = {"true": True, "false": False, "null": None, "none": None}


def display_text(value: Any) -> str:
    """A value as text in a formula: 12000.0 → '12000', lists joined with ', '."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(display_text(item) for item in value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
