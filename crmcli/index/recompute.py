"""Exact recompute: after a change, which records get their computed values computed again.

A computed value reads other records only through references: lookups and formula paths
follow a reference, rollups and backlinks follow the references that name the record. So a
change to a record can change the values of the records it is linked to, and of theirs in
turn. The dirty set is the changed (new, edited, deleted) records and every record linked to
them by references, transitively, in either direction, as the files say now and as the
index saw them (a deal moved from one client to another changes both). This is wider than
some plans need — never narrower. Every other record keeps the values, and failures, the
index holds; nothing is reused when the configuration or the day changed.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from crmcli.core.model import Record, Workspace
from crmcli.engine.compute import Failed
from crmcli.engine.types import FieldKey
from crmcli.fields.references import reference_ids
from crmcli.index.pickles import loads
from crmcli.index.records import Reuse
from crmcli.index.store import IndexStore

Links = defaultdict[str, set[str]]


class DirtyRecords:
    """The engine's `Recompute`: the records to compute again, the failures of the others."""

    def __init__(self, dirty: set[str], failures: dict[FieldKey, dict[str, Failed]]) -> None:
        self.dirty = dirty
        self._failures = failures

    def needed(self, record: Record) -> bool:
        return record.path in self.dirty

    def failed(self, key: FieldKey, record: Record) -> Failed:
        return self._failures.get(key, {}).get(record.path, [])


def dirty_records(
    store: IndexStore, reuse: Reuse, workspace: Workspace, today: date
) -> DirtyRecords | None:
    """What this run computes again, with every other record's stored values filled in; None
    (compute everything) when the stored values were computed for another day or another
    configuration (the caller checks the fingerprint)."""
    failures = store.meta("failures")
    if failures is None or store.meta("today") != today:
        return None
    changed = {path for path, read in reuse.read.items() if path not in reuse.rows}
    changed |= set(store.meta("files") or ()) - set(reuse.read)  # deleted
    dirty = _linked(changed, _links(store, workspace, changed))
    for path, read in reuse.read.items():
        record = read.record
        if record is None or path in dirty:
            continue
        if read.row.computed is None:
            dirty.add(path)
        else:
            record.computed = loads(read.row.computed)
    return DirtyRecords(dirty, failures)


def _links(store: IndexStore, workspace: Workspace, changed: set[str]) -> Links:
    """Record path ↔ record path, for every reference the files hold now and every one the
    changed records held when the index saw them."""
    links: Links = defaultdict(set)
    for project in workspace.projects.values():
        fields = [
            (f.key, f.target_project)
            for f in project.fields.values()
            if f.type == "reference" and f.target_project
        ]
        for record in project.records.values() if fields else ():
            for key, target_project in fields:
                for target in reference_ids(record.data.get(key)):
                    _link(links, record.path, f"{target_project}/{target}.yaml")
    for source, target_project, target in store.references_from(changed):
        _link(links, source, f"{target_project}/{target}.yaml")
    return links


def _link(links: Links, one: str, other: str) -> None:
    links[one].add(other)
    links[other].add(one)


def _linked(start: set[str], links: Links) -> set[str]:
    found = set(start)
    waiting = list(start)
    while waiting:
        for other in links.get(waiting.pop(), ()):
            if other not in found:
                found.add(other)
                waiting.append(other)
    return found


def linked_in_index(
    store: IndexStore, start: set[str], now_names: dict[str, list[str]], limit: int
) -> set[str] | None:
    """The dirty set of `start` (changed and removed record files) read from the index's
    reverse references instead of every record: the references each record held when saved,
    both ways, and those the changed records hold now (`now_names`: path → record paths it
    names). None when it grows past `limit` records (then everything is computed again)."""
    found = set(start)
    waiting = list(start)
    while waiting:
        path = waiting.pop()
        project, _slash, name = path.partition("/")
        others = set(now_names.get(path, ()))
        others.update(f"{p}/{t}.yaml" for _source, p, t in store.references_from([path]))
        others.update(source for source, _field in store.referring(project, name[:-5]))
        for other in others - found:
            found.add(other)
            waiting.append(other)
        if len(found) > limit:
            return None
    return found
