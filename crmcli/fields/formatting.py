"""Values for people: money, numbers and dates in the workspace locale (Babel)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from crmcli.core.decimals import half_up, plain_text, too_large
from crmcli.core.model import FieldDef, WorkspaceConfig
from crmcli.i18n import _
from crmcli.i18n.lists import value_list


@dataclass(frozen=True, slots=True)
class Formatter:
    locale: str
    currency: str
    timezone: str = "UTC"  # moments are shown in the workspace's time zone

    @classmethod
    def for_workspace(cls, config: WorkspaceConfig) -> Formatter:
        return cls(config.locale, config.currency, config.timezone)

    def money(self, value: float, currency: str | None = None) -> str:
        """Rounded half up from the amount as written: 46400.525 → 46 400,53 €."""
        code = currency or self.currency
        rounded = half_up(value, _money_pattern(self.locale, code)[2])
        return _money_text(self.locale, code, str(rounded))

    def number(self, value: float) -> str:
        from babel.numbers import format_decimal

        return format_decimal(half_up(value, 3), locale=self.locale)

    def percent(self, value: float) -> str:
        """Percent fields hold the number of percent: 35 → “35 %”."""
        from babel.numbers import format_percent

        share = half_up(value, 2) / 100
        return format_percent(share, locale=self.locale, format="#,##0.##%")

    def day(self, value: date) -> str:
        return _day_text(self.locale, value)

    def moment(self, value: datetime) -> str:
        if value.tzinfo is not None:  # a commit made in Moscow reads as Paris time in Paris
            from zoneinfo import ZoneInfo

            value = value.astimezone(ZoneInfo(self.timezone))
        return _moment_text(self.locale, self.timezone, value)

    def excel_money_format(self, currency: str | None = None) -> str:
        """A spreadsheet's number format for money: `#,##0.00 "€"` in fr_FR, `"$"#,##0.00` in
        en_US (the symbol where the locale puts it; separators are the spreadsheet's own)."""
        from babel.numbers import get_currency_precision, get_currency_symbol

        code = currency or self.currency
        digits = get_currency_precision(code)
        number = "#,##0" + ("." + "0" * digits if digits else "")
        symbol = '"' + get_currency_symbol(code, locale=self.locale).replace('"', "") + '"'
        pattern = self._currency_pattern()
        return (
            f"{symbol}{number}" if pattern.index("¤") < pattern.index("0") else f"{number} {symbol}"
        )

    def _currency_pattern(self) -> str:
        from babel import Locale

        return Locale.parse(self.locale).currency_formats["standard"].pattern

    def excel_date_format(self) -> str:
        """The locale's short date order as a spreadsheet format: dd/mm/yyyy, dd.mm.yyyy…"""
        from babel.dates import get_date_format

        pattern = get_date_format("short", locale=self.locale).pattern
        return re.sub("y+", "yyyy", pattern.lower())

    def value(self, field: FieldDef | None, value: Any) -> str:
        """Any field's value as text: money for currency fields, lists joined, etc."""
        if value is None or value == [] or value == "":
            return ""
        if isinstance(value, list):
            return value_list(
                self.value(field, item) for item in value if not isinstance(item, dict)
            )
        if isinstance(value, bool):
            return _("yes") if value else _("no")
        kind = field.shown_as if field else None
        if isinstance(value, int | float):
            if too_large(value):
                return plain_text(value)
            if kind == "currency":
                return self.money(value, field.currency if field else None)
            if kind == "percent":
                return self.percent(value)
            return self.number(value)
        if isinstance(value, datetime):
            return self.moment(value)
        if isinstance(value, date):
            return self.day(value)
        return str(value)


@lru_cache(maxsize=64)
def _money_pattern(locale: str, currency: str) -> tuple[Any, Any, int]:
    """The locale's compiled currency pattern, the parsed locale and the currency's decimals:
    what Babel's `format_currency` looks up again for every amount, looked up once."""
    from babel import Locale
    from babel.numbers import get_currency_precision

    parsed = Locale.parse(locale)
    return parsed.currency_formats["standard"], parsed, get_currency_precision(currency)


@lru_cache(maxsize=4096)
def _money_text(locale: str, currency: str, rounded: str) -> str:
    """An amount as `format_currency` writes it. Kept per amount: a board or a report shows
    the same few hundred amounts thousands of times (the text, not the Decimal, is the key:
    -0.00 and 0.00 are written differently)."""
    pattern, parsed, _digits = _money_pattern(locale, currency)
    return str(pattern.apply(Decimal(rounded), parsed, currency=currency, numbering_system="latn"))


@lru_cache(maxsize=4096)
def _day_text(locale: str, value: date) -> str:
    """A day in the locale, kept: reports and reminders show the same days again and again."""
    from babel.dates import format_date

    return str(format_date(value, format="medium", locale=locale))


@lru_cache(maxsize=1024)
def _moment_text(locale: str, timezone: str, value: datetime) -> str:
    """A moment already in the workspace's `timezone`, kept: every message of a `crm remind`
    run shows the run's moment. The zone is part of the key because equal instants of two
    zones are equal datetimes; within one zone they have one wall time, so one text."""
    from babel.dates import format_datetime

    return str(format_datetime(value, format="medium", locale=locale))
