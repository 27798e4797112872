"""Equal values of many records held once: their texts, dates and time zones.

Each record parsed on its own holds its own copy of every key (`name`, `list`, `history`…),
of each list name, member id and date, and a time zone object for each of its dates and
times: on the benchmark's deals that is 2.4 KB of a record's 5.2 KB in memory, 240 MB of a
cold check's peak. A parse worker makes the records of one chunk share them
(`shared`; the fast path of YAML reading shares them as it types them, in the same walk:
`core/fast_yaml.py`) and pickles the chunk in one piece: a pickle keeps what its values share, so the
loader's process holds each of them once per chunk. Values only: equal texts and dates are
interchangeable; date-times are not (two that name the same instant in two time zones are
equal), so only their time zones are shared, by offset and name.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, cast


def shared(value: Any, seen: dict[Any, Any]) -> Any:
    """`value` with each text, date and time zone replaced by the equal one `seen` holds
    (and kept there for the next values); lists and mappings are new, in the same order.
    Leaves are handled in the loops: a call per value would cost twice as much."""
    kind = type(value)
    if kind is dict:
        return _mapping(value, seen)
    if kind is list:
        return _sequence(value, seen)
    if kind is str or kind is date:
        return seen.setdefault(value, value)
    if kind is datetime:
        return _with_zone(value, seen)
    return value


def _mapping(value: dict[Any, Any], seen: dict[Any, Any]) -> dict[Any, Any]:
    keep = seen.setdefault
    keys = [keep(key, key) if type(key) is str else key for key in value]
    return dict(zip(keys, _sequence(value.values(), seen), strict=True))


def _sequence(value: Iterable[Any], seen: dict[Any, Any]) -> list[Any]:
    keep = seen.setdefault
    found = []
    for item in value:
        kind = type(item)
        if kind is str or kind is date:
            item = keep(item, item)
        elif kind is dict or kind is list:
            item = shared(item, seen)
        elif kind is datetime:
            item = _with_zone(item, seen)
        found.append(item)
    return found


def _with_zone(value: datetime, seen: dict[Any, Any]) -> datetime:
    zone = value.tzinfo
    if zone is None:
        return value
    same = seen.setdefault((zone, zone.tzname(value)), zone)
    return value if same is zone else _in_zone(value, same)


def _in_zone(value: datetime, zone: Any) -> datetime:
    """The same date and time in the equal `zone`, made from the state a pickle gives
    (`replace(tzinfo=…)` parses its keywords: five times the cost, on nearly every date-time
    a cold check reads)."""
    state = value.__reduce_ex__(pickle.HIGHEST_PROTOCOL)[1][0]  # its fields and fold
    return cast(Any, datetime)(state, zone)  # the constructor unpickling calls
