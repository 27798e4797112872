"""Names in the order people expect: the Unicode Collation Algorithm, not code points.

Sorting by code point puts `Écume` after `Romashka` and `Ёлка` after `Щукин`; the UCA (pyuca,
with its default table, DUCET) sorts accented Latin letters beside their base letters and `Ё`
beside `Е`, for French, Russian and English alike. Case and accents only break ties.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyuca import Collator


@cache
def _collator() -> Collator:
    from pyuca import Collator  # its table costs ~0.1 s: only commands that sort pay it

    return Collator()


def text_key(text: str) -> tuple[int, ...]:
    """The collation key of a text: `sorted(names, key=text_key)`."""
    return tuple(_collator().sort_key(text))


def sortable(value: Any) -> tuple[int, Any]:
    """Empty values last; numbers, dates and text (collated) each compare among themselves."""
    if value is None or value == "" or value == []:
        return (3, 0)
    if isinstance(value, bool | int | float):
        return (0, value)
    if isinstance(value, datetime | date):
        return (1, value.isoformat())
    return (2, text_key(str(value)))
