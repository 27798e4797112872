"""How many open records each member holds, for `least_loaded` assignment.

Counting means knowing every record's assignee and list, and `crm add` must not read a
hundred thousand files to assign one new lead. So the (assignee, list) of every record is
kept in `.crm/workload-<project>.json`:
- every full load (`crm remind`, which cron runs) rewrites it from the records in memory;
- between full loads it is brought up to date by listing the folder's file names (cheap):
  new records are read, removed ones dropped; an assignment made by an automation is
  recorded at once. A record changed in place by hand counts as it was at the last full
  load until the next one.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

from .loader import STATE_DIR
from .model import Project, Record

Assignments = dict[str, list[Any]]  # record id → [assignee, list]


def _cache_path(root: Path, project: Project) -> Path:
    return root / STATE_DIR / f"workload-{project.key}.json"


def _entry(record: Record) -> list[Any]:
    assignee, list_name = record.data.get("assignee"), record.data.get("list")
    return [
        assignee if isinstance(assignee, str) else None,
        list_name if isinstance(list_name, str) else None,
    ]


def _read_cache(path: Path) -> Assignments | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # missing or damaged: it is only a cache, rebuild it
    return data if isinstance(data, dict) else None


def save(root: Path, project: Project, assignments: Assignments) -> None:
    path = _cache_path(root, project)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with contextlib.suppress(OSError):  # a cache that cannot be written is rebuilt next time
        path.parent.mkdir(exist_ok=True)
        temporary.write_text(json.dumps(assignments, ensure_ascii=False), encoding="utf-8")
        temporary.replace(path)


def refresh_from_loaded(root: Path, project: Project) -> None:
    """Rewrite the cache from a project whose records are all in memory."""
    save(root, project, {record_id: _entry(r) for record_id, r in project.records.items()})


def assignments(root: Path, project: Project) -> Assignments:
    """Every record's [assignee, list], from the cache brought up to date by file names."""
    cached = _read_cache(_cache_path(root, project)) or {}
    present = set(project.records)  # file names only: LazyRecords lists, it does not read
    current = {record_id: cached[record_id] for record_id in present & cached.keys()}
    for record_id in present - cached.keys():
        try:
            current[record_id] = _entry(project.records[record_id])
        except KeyError:  # unreadable: `crm check` reports it
            continue
    return current


def open_records_by_member(known: Assignments, project: Project) -> dict[str, int]:
    outcomes = {name: stage.outcome for name, stage in project.lists.items()}
    loads: dict[str, int] = {}
    for member, list_name in known.values():
        if member and outcomes.get(str(list_name), "open") == "open":
            loads[member] = loads.get(member, 0) + 1
    return loads


def record_assignment(root: Path, project: Project, record: Record, known: Assignments) -> None:
    """Keep the cache true after an automation assigned `record` (known: as counted)."""
    known[record.id] = _entry(record)
    save(root, project, known)
