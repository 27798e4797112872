"""How many open records each member holds, for `least_loaded` assignment.

Counting means knowing every record's assignee and list, and `crm add` must not read a
hundred thousand files to assign one new lead. So the (assignee, list) of every record is
kept in `.crm/workload.sqlite`:
- every full load (`crm remind`, which cron runs) makes the rows of each project a rule
  assigns least loaded those of the records in memory (the others are never counted; a dry
  run does it only for the projects its schedule rules assign);
- between full loads, when the project folder changed (a record added, removed or renamed),
  its file names are listed: new records are read, removed ones dropped; an assignment made
  by an automation is recorded at once. A record changed in place by hand counts as it was
  at the last full load until the next one.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from crmcli.core.model import Project, Record
from crmcli.core.state_dir import STATE_DIR, state_folder

_SCHEMA = """
create table if not exists assignment (
    project text not null, record text not null, assignee text, list text,
    primary key (project, record));
create table if not exists folder (project text primary key, modified integer not null);
create index if not exists workload on assignment (project, assignee, list);
"""


def _connect(root: Path) -> sqlite3.Connection:
    state_folder(root)
    connection = sqlite3.connect(root / STATE_DIR / "workload.sqlite", timeout=30)
    try:
        connection.executescript(_SCHEMA)
    except sqlite3.DatabaseError:  # damaged: it is only a cache, start it again
        connection.close()
        (root / STATE_DIR / "workload.sqlite").unlink(missing_ok=True)
        connection = sqlite3.connect(root / STATE_DIR / "workload.sqlite", timeout=30)
        connection.executescript(_SCHEMA)
    return connection


def _entry(record: Record) -> tuple[Any, Any]:
    assignee, list_name = record.data.get("assignee"), record.data.get("list")
    return (
        assignee if isinstance(assignee, str) else None,
        list_name if isinstance(list_name, str) else None,
    )


def _folder_modified(root: Path, project: Project) -> int:
    return (root / project.key).stat().st_mtime_ns


def _record_ids(root: Path, project: Project) -> set[str]:
    return {
        name[:-5]
        for name in os.listdir(root / project.key)  # noqa: PTH208 — names only, 100,000 of them
        if name.endswith(".yaml") and not name.startswith("_")
    }


def _store(
    connection: sqlite3.Connection, project: Project, records: Iterable[Record], modified: int
) -> None:
    connection.executemany(
        "insert or replace into assignment values (?, ?, ?, ?)",
        ((project.key, r.id, *_entry(r)) for r in records),
    )
    connection.execute("insert or replace into folder values (?, ?)", (project.key, modified))


def refresh_from_loaded(root: Path, project: Project) -> None:
    """Make a project's rows those of a project whose records are all in memory. Only the
    rows that differ are written: from one cron run to the next few records change, and
    rewriting a hundred thousand rows costs more than reading them."""
    with _connect(root) as connection:
        rows = connection.execute(
            "select record, assignee, list from assignment where project = ?", (project.key,)
        )
        known = {record_id: (assignee, list_name) for record_id, assignee, list_name in rows}
        records = project.records.values()
        changed = [r for r in records if known.pop(r.id, None) != _entry(r)]
        connection.executemany(
            "delete from assignment where project = ? and record = ?",
            ((project.key, record_id) for record_id in known),  # what is left: gone
        )
        _store(connection, project, changed, _folder_modified(root, project))


def _bring_up_to_date(root: Path, project: Project, connection: sqlite3.Connection) -> None:
    modified = _folder_modified(root, project)
    row = connection.execute("select modified from folder where project = ?", (project.key,))
    known_modified = row.fetchone()
    if known_modified and known_modified[0] == modified:
        return
    rows = connection.execute("select record from assignment where project = ?", (project.key,))
    known = {record_id for (record_id,) in rows}
    present = _record_ids(root, project)
    connection.executemany(
        "delete from assignment where project = ? and record = ?",
        ((project.key, record_id) for record_id in known - present),
    )
    new = []
    for record_id in present - known:
        try:
            new.append(project.records[record_id])
        except KeyError:  # unreadable: `crm check` reports it
            continue
    _store(connection, project, new, modified)


def open_records_by_member(root: Path, project: Project) -> dict[str, int]:
    """Open records per member, from the cache brought up to date."""
    open_lists = {name for name, stage in project.lists.items() if stage.outcome == "open"}
    loads: dict[str, int] = {}
    with _connect(root) as connection:
        _bring_up_to_date(root, project, connection)
        rows = connection.execute(
            "select assignee, list, count(*) from assignment "
            "where project = ? and assignee is not null group by assignee, list",
            (project.key,),
        )
        for member, list_name, count in rows:
            if list_name in open_lists or list_name not in project.lists:
                loads[member] = loads.get(member, 0) + count
    return loads


def record_assignment(root: Path, project: Project, record: Record) -> None:
    """Keep the cache true after an automation assigned `record`."""
    with _connect(root) as connection:
        connection.execute(
            "insert or replace into assignment values (?, ?, ?, ?)",
            (project.key, record.id, *_entry(record)),
        )
