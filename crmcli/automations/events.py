"""Events that trigger rules: `created`, `moved` and `changed`, as `crm add/move/set` makes
them or as `crm automate --since REV` reads them from the commits, named the same way both
times so that each is handled once."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from crmcli.core.loader import Loader
from crmcli.core.model import Record, RecordEvent, Workspace
from crmcli.git.log import EMPTY_TREE

_IGNORED_FIELDS = frozenset({"history", "updated", "created"})


@dataclass(slots=True)
class Trigger:
    """An event with the moment it happened and the name it is remembered by."""

    event: RecordEvent
    moment: datetime
    id: str
    workspace: Workspace | None = None  # where to read the record (default: the working tree)
    chain: int = 0  # the first event of a chain and what automations did in reply share it


def event_id(event: RecordEvent, record: Record, moved_at: datetime | None, fallback: str) -> str:
    """Names one event the same way whether `crm move` saw it happen or `crm automate` read
    it from git later, so that it is handled once: by the record's own stamps (`created`,
    the history entry of the move) and the new values of the changed fields."""
    if event.kind == "created":
        created = record.data.get("created")
        return "created@" + (created.isoformat() if isinstance(created, datetime) else fallback)
    if event.kind == "moved":
        moment = moved_at.isoformat() if moved_at else fallback
        return f"moved:{event.from_list or ''}→{event.to_list or ''}@{moment}"
    values = {key: record.data.get(key) for key in sorted(event.fields)}
    text = json.dumps(values, sort_keys=True, default=str, ensure_ascii=False)
    return "changed:" + ",".join(values) + "=" + hashlib.sha1(text.encode()).hexdigest()[:12]


def history_moment(record: Record, list_name: str | None) -> datetime | None:
    """The moment of the record's last history entry, when it is the entry into list_name."""
    history = record.data.get("history")
    if not isinstance(history, list) or not history or not isinstance(history[-1], dict):
        return None
    entry = history[-1]
    at = entry.get("at")
    return at if entry.get("list") == list_name and isinstance(at, datetime) else None


def edit_event_id(event: RecordEvent, record: Record) -> str:
    """The name of an event an edit just made: a move by the history entry it wrote."""
    return event_id(event, record, history_moment(record, event.to_list), "")


def find_record(workspace: Workspace | None, project_key: str, record_id: str) -> Record | None:
    """The record, or None when its project or file is gone or its YAML is not valid."""
    project = workspace.projects.get(project_key) if workspace else None
    try:
        return project.records[record_id] if project else None
    except KeyError:
        return None


# events from git: crm automate --since REV


def triggers_since(root: Path, since: str, zone: ZoneInfo) -> list[Trigger]:
    """created / moved / changed events of the commits after `since`, oldest first."""
    from crmcli.git.log import read_log
    from crmcli.git.sources import GitSource

    GitSource(root, since)  # refuses an unknown revision clearly
    triggers: list[Trigger] = []
    for commit in read_log(root, "--reverse", "--no-merges", f"{since}..HEAD", paths=["."]):
        parent = commit.parents[0] if commit.parents else None
        moment = commit.committed.astimezone(zone)
        triggers.extend(_commit_triggers(root, commit.id, parent, moment))
    return triggers


def _commit_triggers(
    root: Path, commit: str, parent: str | None, moment: datetime
) -> Iterator[Trigger]:
    from crmcli.git.sources import GitSource

    new_source = GitSource(root, commit)
    new = Loader(root, new_source).load(lazy=True)
    old = Loader(root, GitSource(root, parent)).load(lazy=True) if parent else None
    changes = new_source.changed_files(parent or EMPTY_TREE)
    for status, path, _old_path in changes:
        project_key, slash, name = path.partition("/")
        project = new.projects.get(project_key)
        if not slash or project is None or "/" in name or not name.endswith(".yaml"):
            continue
        if name.startswith("_") or status not in ("A", "M"):
            continue
        record_id = name[:-5]
        record = find_record(new, project_key, record_id)
        if record is None:
            continue  # not valid YAML in that commit: crm check says why
        before = find_record(old, project_key, record_id) if status == "M" else None
        for event in _record_events(project_key, record, before):
            moved_at = None
            if event.kind == "moved" and before is not None:
                grew = len(_history(record)) > len(_history(before))
                moved_at = history_moment(record, event.to_list) if grew else None
            yield Trigger(event, moment, event_id(event, record, moved_at, commit), new)


def _history(record: Record) -> list[Any]:
    history = record.data.get("history")
    return history if isinstance(history, list) else []


def _record_events(project: str, record: Record, before: Record | None) -> list[RecordEvent]:
    if before is None:
        return [
            RecordEvent(
                "created", project, record.id, to_list=record.list_name, fields=tuple(record.data)
            )
        ]
    events = []
    if before.list_name != record.list_name:
        events.append(RecordEvent("moved", project, record.id, before.list_name, record.list_name))
    keys = (set(before.data) | set(record.data)) - _IGNORED_FIELDS - {"list"}
    changed = tuple(sorted(k for k in keys if before.data.get(k) != record.data.get(k)))
    if changed:
        events.append(RecordEvent("changed", project, record.id, fields=changed))
    return events
