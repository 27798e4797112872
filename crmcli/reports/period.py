"""The window of days a dashboard, a widget or `--period` looks at: the last or next N whole
days, weeks, months, quarters or years, or two dates."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from crmcli.errors import UsageError
from crmcli.i18n import _

UNITS = ("day", "week", "month", "quarter", "year")
_RELATIVE = re.compile(rf"^\s*(?:(last|next)\s+)?([1-9][0-9]*)\s+({'|'.join(UNITS)})s?\s*$")


@dataclass(frozen=True, slots=True)
class Period:
    """A window of days: the last or next N whole days, weeks, months… or two dates."""

    direction: str | None = None  # "last" (ending today) or "next" (starting this unit)
    count: int = 0
    unit: str = "month"
    start: date | None = None
    end: date | None = None

    def window(self, today: date) -> tuple[date | None, date | None]:
        if self.direction == "last":
            return unit_start(today, self.unit, 1 - self.count), today
        if self.direction == "next":
            following = unit_start(today, self.unit, self.count)
            return unit_start(today, self.unit), following - timedelta(days=1)
        return self.start, self.end


def unit_start(day: date, unit: str, shift: int = 0) -> date:
    """First day of the day/week/month/quarter/year holding `day`, moved by `shift` units."""
    if unit == "day":
        return day + timedelta(days=shift)
    if unit == "week":
        return day - timedelta(days=day.weekday()) + timedelta(weeks=shift)
    if unit == "year":
        return date(day.year + shift, 1, 1)
    months = 3 if unit == "quarter" else 1
    index = day.year * 12 + (day.month - 1) // months * months + shift * months
    return date(index // 12, index % 12 + 1, 1)


def read_period(data: Any) -> Period | None:
    if not isinstance(data, dict) or not data:
        return None
    for direction in ("last", "next"):
        if direction in data:
            match = _RELATIVE.match(str(data[direction]))
            if match is None or match[1]:
                return None
            return Period(direction, int(match[2]), match[3])
    return Period(start=_day(data.get("from")), end=_day(data.get("to")))


def parse_period_option(text: str) -> Period:
    """--period: `last 12 months`, `next 2 quarters`, `2025-01-01..2025-12-31`, `2025-07-01..`."""
    match = _RELATIVE.match(text)
    if match and match[1]:
        return Period(match[1], int(match[2]), match[3])
    first, dots, last = (part.strip() for part in text.partition(".."))
    start, end = _day(first), _day(last)
    readable = (start is not None or not first) and (end is not None or not last)
    if dots and readable and (start or end) and not (start and end and start > end):
        return Period(start=start, end=end)
    raise UsageError(
        _(
            "--period: “{text}” is not a period; use e.g. “last 12 months”, “next 2 quarters” "
            "or “2025-01-01..2025-12-31”"
        ).format(text=text)
    )


def _day(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
