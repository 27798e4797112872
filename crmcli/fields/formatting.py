"""Values for people: money, numbers and dates in the workspace locale (Babel)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from crmcli.core.decimals import half_up, plain_text, too_large
from crmcli.core.model import FieldDef, WorkspaceConfig
from crmcli.i18n import _


@dataclass(frozen=True, slots=True)
class Formatter:
    locale: str
    currency: str

    @classmethod
    def for_workspace(cls, config: WorkspaceConfig) -> Formatter:
        return cls(config.locale, config.currency)

    def money(self, value: float, currency: str | None = None) -> str:
        """Rounded half up from the amount as written: 46400.525 → 46 400,53 €."""
        from babel.numbers import format_currency, get_currency_precision

        code = currency or self.currency
        rounded = half_up(value, get_currency_precision(code))
        return format_currency(rounded, code, locale=self.locale)

    def number(self, value: float) -> str:
        from babel.numbers import format_decimal

        return format_decimal(half_up(value, 3), locale=self.locale)

    def percent(self, value: float) -> str:
        """Percent fields hold the number of percent: 35 → “35 %”."""
        from babel.numbers import format_percent

        share = half_up(value, 2) / 100
        return format_percent(share, locale=self.locale, format="#,##0.##%")

    def day(self, value: date) -> str:
        from babel.dates import format_date

        return format_date(value, format="medium", locale=self.locale)

    def moment(self, value: datetime) -> str:
        from babel.dates import format_datetime

        return format_datetime(value, format="medium", locale=self.locale)

    def value(self, field: FieldDef | None, value: Any) -> str:
        """Any field's value as text: money for currency fields, lists joined, etc."""
        if value is None or value == [] or value == "":
            return ""
        if isinstance(value, list):
            return ", ".join(
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
