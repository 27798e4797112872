"""A record's history as dating reads it: (list, POSIX time) pairs in time order.

A dashboard dates a hundred thousand deals by their history (won, closed, days per stage,
last update): decoding every entry's dict and date-time, and sorting them, cost more than the
rest of its dates. So the index keeps these pairs beside the history column
(`index/columns.py`), derived from the very values it stores, and the timeline reads them
instead (`git/timeline.py`). They derive from the file's content alone, never from the
workspace: a history whose time depends on the workspace's time zone (a date, a time without
offset, a text) has none stored, and the timeline reads its entries as it always did.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timezone
from typing import Any

Stamped = tuple[tuple[str, float | None], ...]  # (list, its entry's time) in time order


def history_stamps(history: Any) -> Stamped | None:
    """The entries of a `history` value that name a list, as (list, time) in time order
    (entries without a time keep their place, and then none are sorted); None when an
    entry's time is not an instant that a POSIX time gives back exactly."""
    pairs: list[tuple[str, float | None]] = []
    timed = True
    for entry in history if isinstance(history, list) else ():
        if not (isinstance(entry, dict) and isinstance(name := entry.get("list"), str)):
            continue
        at = entry.get("at")
        if isinstance(at, datetime) and type(at.tzinfo) is timezone:
            stamp = at.timestamp()
            if datetime.fromtimestamp(stamp, UTC) != at:
                return None  # too far off for a float to give back its microseconds
            pairs.append((name, stamp))
        elif _zone_dependent(at):
            return None
        else:
            pairs.append((name, None))
            timed = False
    if timed:
        pairs.sort(key=_stamp)
    return tuple(pairs)


def stored_stamps(data: Mapping[str, Any]) -> Stamped | None:
    """The stamps the index derived from this record's history when it saved it, while the
    history itself is still unread (`index/columns.py` `ColumnData`); None otherwise."""
    stored = getattr(data, "history_stamps", None)
    return stored() if stored is not None else None


def _zone_dependent(value: Any) -> bool:
    """Whether a time reads differently in another time zone (or is something else than an
    instant with a fixed offset): then the workspace reads it."""
    if isinstance(value, str):
        try:
            datetime.fromisoformat(value)
        except ValueError:
            return False
        return True
    return hasattr(value, "year")  # a date, or a date-time without a fixed offset


def _stamp(pair: tuple[str, float | None]) -> float:
    return pair[1]  # type: ignore[return-value]  # sorted only when every entry has one
