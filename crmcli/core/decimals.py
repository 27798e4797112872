"""Numbers as people wrote them: decimal arithmetic on the shortest form of each float.

Record files hold amounts as YAML numbers, which load as binary floats: 7250.75 × 0.7 is
5075.524999… there, and Babel's half-even rounding then shows 5 075,52 €. Storage stays
float (fast, and what YAML gives); where numbers are combined or shown, each float is read
back as its shortest decimal (`repr`), so the result is the one a person computes by hand:
5075.525, shown 5 075,53 € (half up). Integers stay integers and take the fast path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from crmcli.i18n import _

Number = int | float
MAX_MAGNITUDE = 1e15  # beyond, floats lose cents and Babel cannot format money
_MAX_QUOTED_DIGITS = 30


def too_large(value: Number) -> bool:
    """Whether a number is beyond what a field may hold (a 310-digit integer, 1.0e+26, inf)."""
    return abs(value) >= MAX_MAGNITUDE and value == value  # NaN has no size: a wrong type


def plain_text(value: Number) -> str:
    """A number as text however large it is: 1e+26, or “a number of 310 digits”."""
    if isinstance(value, float):
        return repr(value)
    digits = int(abs(value).bit_length() * 0.30103) + 1
    if digits < _MAX_QUOTED_DIGITS:
        return str(value)
    return _("a number of about {digits} digits").format(digits=digits)


def exact(value: Number) -> Decimal:
    """The decimal a person wrote for this number: 0.1 → Decimal('0.1')."""
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def in_decimal(function: Callable[[Any, Any], Any]) -> Callable[[Number, Number], Number]:
    """An arithmetic operator that works on the decimals behind floats (ints stay ints)."""

    def apply(left: Number, right: Number) -> Number:
        if type(left) is float or type(right) is float:
            return float(function(exact(left), exact(right)))
        return function(left, right)

    return apply


def exact_sum(values: Iterable[Number]) -> Number:
    """The sum of numbers as written: 10,000 amounts with cents add up to the cent."""
    numbers = list(values)
    if all(type(v) is int for v in numbers):
        return sum(numbers)
    return float(sum((exact(v) for v in numbers), Decimal(0)))


def half_up(value: Number, digits: int) -> Decimal:
    """The number rounded to `digits` places the way people round: 46400.525 → 46400.53
    (as it is when it is too large for that many places, or not finite)."""
    written = exact(value)
    try:
        return written.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return written
