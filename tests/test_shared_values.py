"""Records parsed in one chunk hold their equal texts, dates and time zones once, with the same
values: a cold check's memory (core/shared_values.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

from crmcli.core.parse_pool import POOL_FROM, ReadAhead, parse_files
from crmcli.core.shared_values import shared
from crmcli.core.sources import DiskSource
from crmcli.core.yamlio import MAX_RECORD_BYTES

from .test_fast_yaml import exact
from .test_parse_pool import with_the_pool

PARIS = timezone(timedelta(hours=2))


def record(number: int) -> dict[str, object]:
    return {
        "name": f"Deal {number}",
        "list": "Won" + "",  # a text made at run time, not a constant of this module
        "close_date": date(2025, 10, 15),
        "history": [
            {
                "list": "Won",
                "at": datetime(2025, 8, 1, 9, number, tzinfo=timezone(PARIS.utcoffset(None))),
            },
            {"list": "Won", "at": datetime(2025, 8, 1, 7, number, tzinfo=UTC)},
        ],
        "amount": 1.5,
        "tags": ["seo", "web"],
        number: None,
    }


def test_equal_values_are_held_once_and_stay_equal() -> None:
    seen: dict[object, object] = {}
    first, second = (shared(record(n), seen) for n in (1, 2))
    assert exact(first) == exact(record(1)) and exact(second) == exact(record(2))
    assert list(first) == list(record(1))  # the keys' order
    key_of = {id(k): k for k in first}
    assert all(id(k) in key_of for k in second if isinstance(k, str))
    assert first["list"] is second["list"] and first["close_date"] is second["close_date"]
    assert first["tags"][0] is second["tags"][0]
    paris, utc = first["history"][0]["at"], first["history"][1]["at"]
    assert paris == utc and paris.tzinfo != utc.tzinfo  # the same instant in two zones…
    assert paris.utcoffset() == timedelta(hours=2) and utc.utcoffset() == timedelta(0)
    assert paris.tzinfo is second["history"][0]["at"].tzinfo  # …each zone held once
    assert first["history"][0]["list"] is second["history"][1]["list"]


def test_a_zone_is_shared_only_with_one_of_the_same_name() -> None:
    seen: dict[object, object] = {}
    named = shared(datetime(2025, 1, 1, tzinfo=timezone(timedelta(0), "GMT")), seen)
    plain = shared(datetime(2025, 1, 1, tzinfo=UTC), seen)
    assert named.tzname() == "GMT" and plain.tzname() == "UTC"


def test_the_records_of_a_chunk_share_their_keys_here(tmp_path: Path) -> None:
    folder = tmp_path / "deals"
    folder.mkdir()
    for number in range(POOL_FROM):
        (folder / f"d{number:05}.yaml").write_text(
            f"name: Deal {number}\nlist: Won\nat: 2025-08-01T09:12:00+02:00\n"
        )
    relatives = [f"deals/d{number:05}.yaml" for number in range(POOL_FROM)]

    def sharing() -> tuple[bool, bool, bool]:
        parsed = parse_files(DiskSource(tmp_path), relatives, MAX_RECORD_BYTES)
        first, second = (parsed[r] for r in relatives[:2])
        assert isinstance(first, ReadAhead) and isinstance(second, ReadAhead)
        one, two = first.document.data, second.document.data
        return (
            next(iter(one)) is next(iter(two)),
            one["list"] is two["list"],
            one["at"].tzinfo is two["at"].tzinfo,
        )

    assert with_the_pool(sharing) == (True, True, True)
