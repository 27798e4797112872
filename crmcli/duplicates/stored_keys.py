"""Duplicate keys kept in the index: `crm duplicates` reads them instead of every record, and
`crm add` asks for the records sharing one of its keys instead of bucketing the project.

The index sits below this package, so it keeps keys it cannot derive: rows of (kind, field,
key) per record file that go with their file row (`IndexStore.save_keys`), filled here for
the rows that have none. Which stored keys count is the index's freshness rule: a file's
keys are used when its row is fresh (the file has the stat or content it was read with, in
the same configuration); the project's other files (edited, added, renamed since) are read
as records and their keys derived in memory. Keys are stored whoever reads: the fields a
reader may not see are left out when comparing (`DuplicateFinder.keys_from`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from crmcli.core.collector import collector_paused
from crmcli.core.model import Project, Workspace
from crmcli.duplicates.finder import (
    DuplicateFinder,
    Match,
    MaySee,
    bucket_limit,
    project_duplicates,
)
from crmcli.engine.workspace import OpenWorkspace
from crmcli.index.key_tables import KeyRow
from crmcli.index.pickles import loads
from crmcli.index.session import Index, IndexedWorkspace, index_ready
from crmcli.index.store import INDEX_FAULTS


@dataclass(slots=True)
class ProjectKeys:
    """Where this run takes a project's keys from: the index (`stored` paths) or records
    read this run (`read`, path → keys)."""

    state: str
    stored: set[str]
    read: dict[str, list[KeyRow]] = field(default_factory=dict)


def open_index(root: Path, opened: OpenWorkspace | None = None, cache: bool = True) -> Index | None:
    """The index a command served from, or the workspace's index if one was built; None
    with secrets enabled: keys of hidden fields would be their values, normalised."""
    if isinstance(opened, IndexedWorkspace) and opened.index is not None:
        index: Index | None = opened.index
    else:
        index = Index.open(root, cache) if index_ready(root, cache) else None
    return None if index is None or index.secrets else index


def project_duplicates_served(
    root: Path, opened: OpenWorkspace, project: Project, may_see: MaySee, min_score: int
) -> list[Match]:
    """The project's likely duplicates from the stored keys when the command opened the
    index (from every record otherwise, as `--no-cache` does)."""
    index = open_index(root, opened, cache=isinstance(opened, IndexedWorkspace))
    found = None
    with collector_paused():  # 20,000 records' keys, no cycle among them
        if index is not None:
            found = indexed_pairs(index, opened.workspace, project, may_see, min_score)
        if found is None:
            found = project_duplicates(opened.workspace, project, may_see, min_score)
    return found


def indexed_pairs(
    index: Index, workspace: Workspace, project: Project, may_see: MaySee, min_score: int
) -> list[Match] | None:
    """`project_duplicates` from the stored keys (None: the index cannot answer)."""
    finder = DuplicateFinder(workspace, project, may_see)
    try:
        keys = _project_keys(index, workspace, finder)
        stored = None if keys is None else index.store.derived_keys(project.key, None, keys.state)
    except INDEX_FAULTS:
        index.fault()
        return None
    if keys is None or stored is None:
        return None
    for path in keys.stored:
        finder.add_keys(_record_id(path), finder.keys_from(stored.get(path, ())))
    for path, rows in keys.read.items():
        finder.add_keys(_record_id(path), finder.keys_from(rows))
    return finder.pairs(min_score)


def indexed_matches(
    index: Index, workspace: Workspace, project: Project, may_see: MaySee, data: dict
) -> list[Match] | None:
    """`DuplicateFinder.matches` for a new record, asking the index for the records that
    share one of its keys (None: the index cannot answer)."""
    finder = DuplicateFinder(workspace, project, may_see)
    try:
        keys = _project_keys(index, workspace, finder)
        stored = None if keys is None else _sharing(index, finder, keys, data)
    except INDEX_FAULTS:
        index.fault()
        return None
    if keys is None or stored is None:
        return None
    for path, rows in stored.items():
        finder.keys[_record_id(path)] = finder.keys_from(rows)
    return finder.matches(data, "")


def _sharing(
    index: Index, finder: DuplicateFinder, keys: ProjectKeys, data: dict
) -> dict[str, list[KeyRow]] | None:
    """Fill the finder's buckets of the new record (the records read this run, then the
    stored ones); the keys of the stored records a comparison needs, by path."""
    for path, rows in keys.read.items():
        finder.add_keys(_record_id(path), finder.keys_from(rows))
    wanted: set[str] = set()
    for bucket in finder.keys_of(data).buckets:
        kind, key = bucket
        members = dict.fromkeys(
            path
            for path, field_key in index.store.sharing(finder.project.key, kind, key)
            if path in keys.stored and finder.compared(kind, field_key)
        )
        finder.buckets[bucket].extend(_record_id(path) for path in members)
        limit = bucket_limit(kind)
        if limit is None or len(finder.buckets[bucket]) <= limit:
            wanted.update(members)
    return index.store.derived_keys(finder.project.key, sorted(wanted), keys.state)


def _project_keys(
    index: Index, workspace: Workspace, finder: DuplicateFinder
) -> ProjectKeys | None:
    """The stored keys that hold, the fresh rows without keys derived and saved, the other
    record files of the project read from `workspace`; None: the index cannot say."""
    store, project = index.store, finder.project.key
    state = store.meta("state")
    if index.failed or not index.same_configuration or state is None:
        return None
    keyed = store.keyed_paths(project, state)
    if keyed is None:
        return None
    names, _stats = index.scan.listing.get(project, ((), ()))
    paths = [f"{project}/{name}" for name in names]
    fresh = paths if index.everything_fresh else [p for p in paths if p in index.fresh_paths]
    keys = ProjectKeys(state, keyed.intersection(fresh))
    filled = {}
    for path in fresh:
        row = None if path in keys.stored else store.record(path)
        if row is not None:
            filled[path] = finder.key_rows(loads(row[0]))
    if filled:
        store.save_keys(project, filled, state)  # busy or changed: derived again next time
    keys.read.update(filled)
    records = workspace.projects[project].records
    for path in paths:
        if path not in keys.stored and path not in keys.read:
            record = records.get(_record_id(path))
            if record is not None:
                keys.read[path] = finder.key_rows(record.data)
    return keys


def _record_id(path: str) -> str:
    return path.rpartition("/")[2].removesuffix(".yaml")
