"""Number fields: `number`, `currency`, `percent` and `rating`.

Typed numbers and money are read in the workspace locale and in plain/English notation.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from crmcli.core.decimals import MAX_MAGNITUDE, plain_text, too_large
from crmcli.errors import InvalidValueError
from crmcli.fields.base import NO_ISSUES, FieldType, Issue, is_number
from crmcli.fields.context import FieldContext
from crmcli.i18n import _

_PLAIN_NUMBER = re.compile(r"^[-+]?\d+(?:\.\d+)?$")
_CURRENCY_MARKS = re.compile(r"[€$£₽¥]|\b[A-Z]{3}\b|руб\.?|р\.", re.IGNORECASE)
_RUBLE_WORDS = {"₽", "руб", "р"}


def parse_number(text: str, locale: str) -> Decimal | None:
    """'12 000,50 €', '12,000.50', '12000' → Decimal; None when it is no number."""
    from babel.numbers import NumberFormatError, parse_decimal

    compact = re.sub(r"\s", "", _CURRENCY_MARKS.sub("", text))
    if _PLAIN_NUMBER.match(compact):
        return Decimal(compact)
    for candidate in (locale, "en_US"):
        try:
            return parse_decimal(compact, locale=candidate, strict=True)
        except (NumberFormatError, InvalidOperation, ValueError):
            continue
    return None


class Number(FieldType):
    __slots__ = ()
    formula_type = "number"

    def expected(self) -> str:
        return _("a number")

    def validate(self, value: Any, context: FieldContext) -> list[Issue]:
        if is_number(value) and too_large(value):
            return [
                Issue(
                    "out-of-range",
                    _("{label} is {value}, larger than any amount can be (at most {limit})").format(
                        label=self.field.label,
                        value=plain_text(value),
                        limit=f"{MAX_MAGNITUDE:.0e}",
                    ),
                )
            ]
        if not is_number(value) or not math.isfinite(value):
            hint = (
                " " + _("(write plain digits such as 12000 or 12000.50)")
                if isinstance(value, str)
                else ""
            )
            return self.wrong(value, self.expected(), hint)
        low, high = self.field.minimum, self.field.maximum
        if (low is not None and value < low) or (high is not None and value > high):
            return [
                Issue(
                    "out-of-range",
                    _("{label} is {value}; it must be between {low} and {high}").format(
                        label=self.field.label,
                        value=value,
                        low=low if low is not None else "…",
                        high=high if high is not None else "…",
                    ),
                )
            ]
        return NO_ISSUES

    def parse(self, text: str, context: FieldContext) -> Any:
        number = parse_number(text, context.locale)
        if number is None:
            raise self.unreadable(text, _("a number (12000, 12 000,50 or 12,000.50)"))
        return int(number) if number == number.to_integral_value() else float(number)


class Currency(Number):
    __slots__ = ()

    def expected(self) -> str:
        return _("an amount of money")

    def parse(self, text: str, context: FieldContext) -> Any:
        """An amount marked with another currency (“7 250,75 $” in an EUR field) is refused:
        stored as a number, it would silently become the field's currency."""
        code = self.field.currency or context.workspace.config.currency
        for mark in _CURRENCY_MARKS.findall(text):
            if _is_currency(mark) and mark.casefold().rstrip(".") not in _marks_of(
                code, context.locale
            ):
                raise InvalidValueError(
                    _(
                        "{label} is in {currency}: “{text}” names another currency; "
                        "write the amount in {currency}."
                    ).format(label=self.field.label, currency=code, text=text)
                )
        return super().parse(text, context)


def _is_currency(mark: str) -> bool:
    """“USD” is a currency, the “lot” of “a lot” is no number and is left to fail as one."""
    from babel.numbers import list_currencies

    return not mark.isalpha() or mark.upper() in list_currencies() or mark in _RUBLE_WORDS


def _marks_of(code: str, locale: str) -> set[str]:
    """How people write this currency: its code, its symbols here and in English."""
    from babel.numbers import get_currency_symbol

    symbols = {code, *(get_currency_symbol(code, where) for where in (locale, "en_US", "root"))}
    marks = {symbol.casefold() for symbol in symbols}
    marks |= {"".join(c for c in mark if not c.isalpha()) for mark in marks}  # “$US” → “$”
    return marks | _RUBLE_WORDS if code == "RUB" else marks


class Percent(Number):
    """Holds the number of percent: 35 reads “35 %”."""

    __slots__ = ()

    def expected(self) -> str:
        return _("a percentage")


class Rating(FieldType):
    __slots__ = ()
    formula_type = "number"

    def validate(self, value: Any, context: FieldContext) -> list[Issue]:
        top = self.field.rating_max
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= top:
            return self.wrong(value, _("a whole number from 1 to {top}").format(top=top))
        return NO_ISSUES

    def parse(self, text: str, context: FieldContext) -> Any:
        top = self.field.rating_max
        if text.strip().isdigit() and 1 <= int(text) <= top:
            return int(text)
        raise self.unreadable(text, _("a rating from 1 to {top}").format(top=top))
