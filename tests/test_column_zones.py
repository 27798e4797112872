"""A project's columns keep each date and time's zone as it was read (offset and name), now
that zones are pickled by their offset and name (index/columns.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from crmcli.core.model import Record
from crmcli.index.columns import ColumnSet, column_blobs

from .test_fast_yaml import exact

ZONES = (
    UTC,
    timezone(timedelta(hours=2)),
    timezone(timedelta(hours=-5, minutes=-30)),
    timezone(timedelta(0), "GMT"),
    None,
)


def test_dates_and_times_come_back_in_their_zones() -> None:
    data = [
        {
            "at": datetime(2025, 8, 1, 9, 12, tzinfo=zone),
            "history": [{"at": datetime(2025, 1, 1, tzinfo=zone)}],
        }
        for zone in ZONES
    ]
    records = [Record("p", f"r{i}", f"p/r{i}.yaml", d) for i, d in enumerate(data)]
    columns = ColumnSet(dict(column_blobs(records)).get)
    served = [columns.data(position) for position in range(len(records))]
    assert [exact(dict(d)) for d in served] == [exact(d) for d in data]
    assert columns.value("at", 0).tzinfo is UTC
    assert columns.value("at", 3).tzname() == "GMT"
