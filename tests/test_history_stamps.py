"""The history stamps the index stores beside the history column (`core/history_stamps.py`):
the timeline dates records from them exactly as from their history, and never from stamps
that no longer say what the history says (an edit, a `crm move`, a hand-broken history, a
time read in the workspace's zone, a file that cannot be read)."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from crmcli.core.history_stamps import history_stamps, stored_stamps
from crmcli.core.loader import Loader
from crmcli.core.model import Record, Workspace
from crmcli.git.timeline import Timeline
from crmcli.index.columns import ColumnSet, column_blobs
from crmcli.index.session import open_indexed
from tests.conftest import crm_in_process
from tests.generated_workspace import generate

PARIS = timezone(timedelta(hours=2))
ENV = {"CRM_USER": "alice", "CRM_NOW": "2026-11-23T10:00:00+01:00"}


def at(day: int, hour: int = 9, zone: timezone = PARIS) -> datetime:
    return datetime(2026, 6, day, hour, tzinfo=zone)


def test_stamps_are_the_entries_naming_a_list_in_time_order() -> None:
    history = [
        {"list": "Proposal sent", "at": at(3), "by": "alice"},
        {"list": "Lead", "at": at(1, 23, UTC)},
        {"at": at(2)},  # no list: not an entry of the history
        "not an entry",
        {"list": "Won", "at": at(5)},
    ]
    assert history_stamps(history) == (
        ("Lead", at(1, 23, UTC).timestamp()),
        ("Proposal sent", at(3).timestamp()),
        ("Won", at(5).timestamp()),
    )


def test_an_entry_without_a_time_keeps_the_order_as_written() -> None:
    history = [{"list": "B", "at": at(3)}, {"list": "A", "at": "soon"}, {"list": "C"}]
    assert history_stamps(history) == (("B", at(3).timestamp()), ("A", None), ("C", None))


def test_a_time_read_in_the_workspace_zone_has_no_stamps() -> None:
    for when in (date(2026, 6, 1), datetime(2026, 6, 1, 9), "2026-06-01T09:00:00"):
        assert history_stamps([{"list": "A", "at": at(1)}, {"list": "B", "at": when}]) is None
    paris = datetime(2026, 6, 1, 9, tzinfo=ZoneInfo("Europe/Paris"))
    assert history_stamps([{"list": "A", "at": paris}]) is None  # not a fixed offset


def test_no_history_has_no_entries() -> None:
    assert history_stamps(None) == ()
    assert history_stamps("Won on Monday") == ()
    assert history_stamps([]) == ()


DATA: list[dict[str, Any]] = [
    {"name": "A", "history": [{"list": "Won", "at": at(2)}, {"list": "Lead", "at": at(1)}]},
    {"name": "B"},
    {"name": "C", "history": [{"list": "Won", "at": date(2026, 6, 2)}]},
]


def served() -> list[Any]:
    records = [Record("p", f"r{i}", f"p/r{i}.yaml", copy.deepcopy(d)) for i, d in enumerate(DATA)]
    columns = ColumnSet(dict(column_blobs(records)).get)
    return [columns.data(position) for position in range(len(DATA))]


def test_served_data_gives_the_stamps_of_its_history_while_it_is_unread() -> None:
    first, second, third = served()
    assert stored_stamps(first) == history_stamps(DATA[0]["history"])
    assert stored_stamps(second) == ()
    assert stored_stamps(third) is None  # a date: read in the workspace zone
    assert stored_stamps(DATA[0]) is None  # a plain dict: read from its history


def test_a_history_replaced_since_is_read_again() -> None:
    data = served()[0]
    data["history"] = [{"list": "Lost", "at": at(9)}]  # as the loader opens a sealed value
    assert stored_stamps(data) is None
    read = served()[0]
    assert read["history"] == DATA[0]["history"]
    assert stored_stamps(read) is None  # read: the timeline reads it, already decoded


def test_an_index_saved_before_stamps_has_none() -> None:
    records = [Record("p", "r0", "p/r0.yaml", copy.deepcopy(DATA[0]))]
    blobs = dict(column_blobs(records))
    del blobs["stamps"]
    assert stored_stamps(ColumnSet(blobs.get).data(0)) is None


# the timeline's answers: from the index as from the files


def dates(workspace: Workspace, root: Path) -> tuple[dict[str, Any], int]:
    """Every date the timeline gives of every deal, and how many it read from stamps."""
    timeline = Timeline(root, ZoneInfo(workspace.config.timezone))
    project = workspace.projects["opportunities"]
    now = datetime(2026, 11, 23, 10, tzinfo=PARIS)
    found = {
        record.id: (
            timeline.won_at(project, record),
            timeline.closed_at(project, record),
            timeline.created(record),
            timeline.last_update(record),
            timeline.entered_list(record).isoformat(),
            timeline.days_in_list(record, now),
            timeline.stays(record),
            timeline.stages(record),
        )
        for record in project.records.values()
    }
    return found, len(timeline._stored)


def from_index(root: Path) -> tuple[dict[str, Any], int]:
    opened = open_indexed(root, date(2026, 11, 23))
    return dates(opened.workspace, root)


def from_files(root: Path) -> dict[str, Any]:
    return dates(Loader(root).load(), root)[0]


def rewrite(root: Path, record_id: str, *changes: tuple[str, str]) -> None:
    path = root / "opportunities" / f"{record_id}.yaml"
    text = original = path.read_text()
    for old, new in changes:
        text = text.replace(old, new)
    assert text != original
    path.write_text(text)


def test_the_index_dates_records_as_their_files_do(tmp_path: Path) -> None:
    root = generate(tmp_path / "ws", clients=30, deals=300)
    assert crm_in_process("-C", root, "check", env=ENV).returncode == 0  # builds the index
    found, stored = from_index(root)
    assert stored > 250  # the generated histories all have stamps
    assert found == from_files(root)

    ids = sorted(found)
    moved = next(i for i in ids if found[i][0] is None)  # not won yet
    run = crm_in_process("-C", root, "move", f"opportunities/{moved}", "Won", env=ENV)
    assert run.returncode == 0, run.stderr
    rewrite(root, ids[1], ("history:", "history: not a list\nold_history:"))
    rewrite(root, ids[2], ("at: 20", "at: not a date 20"))
    rewrite(root, ids[3], (":00+01:00,", ":00,"), (":00+02:00,", ":00,"))  # read in the zone
    (root / "opportunities" / f"{ids[4]}.yaml").write_text("name: [broken\n")  # left out
    crm_in_process("-C", root, "check", env=ENV)  # problems now: exit 1, the index saved
    expected = from_files(root)
    assert expected[moved][0] is not None
    found, stored = from_index(root)
    assert found == expected
    assert ids[4] not in found
