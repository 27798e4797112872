"""Days and moments: `date` and `datetime`.

Typed dates are ISO, the locale's short form or a word such as “tomorrow”; a typed moment
is ISO or such a day (at midnight), and without a time zone it is in the workspace's.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from crmcli.fields.base import NO_ISSUES, FieldType, Issue, describe
from crmcli.fields.context import FieldContext
from crmcli.i18n import _

_DAY_WORDS = {
    "today": 0,
    "tomorrow": 1,
    "yesterday": -1,
    "aujourd'hui": 0,
    "demain": 1,
    "сегодня": 0,
    "завтра": 1,
}


def parse_day(text: str, locale: str, today: date) -> date | None:
    """ISO, the locale's short form (31/12/2024 in fr_FR), or today/tomorrow/yesterday."""
    from babel.dates import parse_date

    lowered = text.strip().casefold()
    if lowered in _DAY_WORDS:
        return today + timedelta(days=_DAY_WORDS[lowered])
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        pass
    try:
        return parse_date(text.strip(), locale=locale)
    except (ValueError, IndexError):
        return None


def _iso_problem(read: Callable[[str], object], value: str) -> str | None:
    """Why a quoted date or moment is not ISO; None when it is."""
    try:
        read(value)
    except ValueError as error:
        return str(error)
    return None


class Date(FieldType):
    __slots__ = ()
    formula_type = "date"

    def validate(self, value: Any, context: FieldContext) -> list[Issue]:
        if isinstance(value, datetime):
            return self.wrong(value, _("a date without a time"))
        if isinstance(value, date):
            return NO_ISSUES
        if not isinstance(value, str):
            return self.wrong(value, _("a date (YYYY-MM-DD)"))
        reason = _iso_problem(date.fromisoformat, value)
        if reason is None:
            return NO_ISSUES
        return [
            Issue(
                "invalid-date",
                _("{label} {value} is not a valid date ({reason}); write it as YYYY-MM-DD").format(
                    label=self.field.label, value=describe(value), reason=reason
                ),
            )
        ]

    def parse(self, text: str, context: FieldContext) -> Any:
        day = parse_day(text, context.locale, context.day)
        if day is None:
            raise self.unreadable(text, _("a date (YYYY-MM-DD or your locale's short form)"))
        return day


class DateTime(FieldType):
    __slots__ = ()
    formula_type = "date"

    def validate(self, value: Any, context: FieldContext) -> list[Issue]:
        if isinstance(value, date):
            return NO_ISSUES
        if not isinstance(value, str):
            return self.wrong(value, _("a date and time"))
        reason = _iso_problem(datetime.fromisoformat, value)
        if reason is None:
            return NO_ISSUES
        return [
            Issue(
                "invalid-datetime",
                _(
                    "{label} {value} is not a valid date and time ({reason}); "
                    "write it as 2025-08-20T16:40:00+02:00"
                ).format(label=self.field.label, value=describe(value), reason=reason),
            )
        ]

    def parse(self, text: str, context: FieldContext) -> Any:
        """ISO, or a day as `date` reads it (the locale's short form too): its midnight, so
        an imported “20/10/2016” dates the record that day."""
        try:
            moment = datetime.fromisoformat(text.strip())
        except ValueError:
            day = parse_day(text, context.locale, context.day)
            if day is None:
                raise self.unreadable(
                    text, _("a date and time (2025-08-20T16:40) or your locale's short date")
                ) from None
            moment = datetime.combine(day, time())
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=ZoneInfo(context.timezone))
        return moment
