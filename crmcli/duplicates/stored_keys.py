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

from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from crmcli.core.collector import collector_paused
from crmcli.core.model import Project, Record, Workspace
from crmcli.duplicates.finder import (
    Bucket,
    DuplicateFinder,
    Match,
    MaySee,
    Others,
    bucket_limit,
    project_duplicates,
)
from crmcli.engine.workspace import OpenWorkspace
from crmcli.index.freshness import Scan, scan, unchanged
from crmcli.index.key_tables import KeyRow
from crmcli.index.pickles import loads
from crmcli.index.session import Index, IndexedWorkspace, index_ready
from crmcli.index.store import INDEX_FAULTS, IndexStore
from crmcli.secrets.keyfile import KEY_FILE


@dataclass(slots=True)
class ProjectKeys:
    """Where this run takes a project's keys from: the index (`stored` paths) or records
    read this run (`read`, path → keys)."""

    state: str
    stored: set[str]
    read: dict[str, list[KeyRow]] = field(default_factory=dict)


@dataclass(slots=True)
class ProjectIndex:
    """The index as a command about one project uses it: the project's record files now (in
    the folder's order) and those whose rows still say what they hold."""

    store: IndexStore
    paths: list[str]
    fresh: list[str]
    fault: Callable[[], None]  # the index failed: removed, the command goes on from the files


def open_index(root: Path, opened: OpenWorkspace | None = None, cache: bool = True) -> Index | None:
    """The index a command served from, or the workspace's index if one was built; None
    with secrets enabled: keys of hidden fields would be their values, normalised."""
    if isinstance(opened, IndexedWorkspace) and opened.index is not None:
        index: Index | None = opened.index
    else:
        index = Index.open(root, cache) if index_ready(root, cache) else None
    return None if index is None or index.secrets else index


def served_project(index: Index, project: str) -> ProjectIndex | None:
    """The project as an index opened for the whole workspace sees it."""
    if index.failed or not index.same_configuration:
        return None
    paths = _listed(index.scan, project)
    fresh = paths if index.everything_fresh else [p for p in paths if p in index.fresh_paths]
    return ProjectIndex(index.store, paths, fresh, index.fault)


def open_project_index(root: Path, project: str) -> ProjectIndex | None:
    """The index for a command about new records of one project (`crm add`, `crm import`):
    the configuration's fingerprint and this project's files and rows compared, not every
    file and row of the workspace (`crm add` at 120,708 files: 1.4 -> 0.6 s of CPU); None when there
    is no index, it is of another configuration, or secrets are enabled."""
    if not index_ready(root) or (root / KEY_FILE).is_file():
        return None
    store = IndexStore.open(root)
    if store is None:
        return None
    try:
        found = scan(root, stat_only={project})
        if store.meta("fingerprint") != found.fingerprint:
            store.close()
            return None
        names, stats = found.listing.get(project, ((), ()))
        stored = store.project_stats(project)
    except INDEX_FAULTS:
        store.close()
        return None
    paths = [f"{project}/{name}" for name in names]
    fresh = [
        path
        for i, path in enumerate(paths)
        if path in stored and unchanged(root, path, stats[4 * i : 4 * i + 4], stored[path])
    ]
    return ProjectIndex(store, paths, fresh, lambda: _remove(root, store))


def _remove(root: Path, store: IndexStore) -> None:
    store.close()
    IndexStore.remove(root)


def _listed(found: Scan, project: str) -> list[str]:
    names, _stats = found.listing.get(project, ((), ()))
    return [f"{project}/{name}" for name in names]


def project_duplicates_served(
    root: Path, opened: OpenWorkspace, project: Project, may_see: MaySee, min_score: int
) -> list[Match]:
    """The project's likely duplicates from the stored keys when the command opened the
    index (from every record otherwise, as `--no-cache` does)."""
    index = open_index(root, opened, cache=isinstance(opened, IndexedWorkspace))
    view = None if index is None else served_project(index, project.key)
    found = None
    with collector_paused():  # 20,000 records' keys, no cycle among them
        if view is not None:
            found = indexed_pairs(view, opened.workspace, project, may_see, min_score)
        if found is None:
            found = project_duplicates(opened.workspace, project, may_see, min_score)
    return found


def indexed_pairs(
    view: ProjectIndex,
    workspace: Workspace,
    project: Project,
    may_see: MaySee,
    min_score: int,
    kinds: Collection[str] | None = None,
) -> list[Match] | None:
    """`DuplicateFinder.pairs` from the stored keys (None: the index cannot answer)."""
    finder = DuplicateFinder(workspace, project, may_see)
    try:
        keys = _project_keys(view, workspace, finder)
        stored = None if keys is None else view.store.derived_keys(project.key, None, keys.state)
    except INDEX_FAULTS:
        view.fault()
        return None
    if keys is None or stored is None:
        return None
    for path in keys.stored:
        finder.add_keys(_record_id(path), finder.keys_from(stored.get(path, ())))
    for path, rows in keys.read.items():
        finder.add_keys(_record_id(path), finder.keys_from(rows))
    return finder.pairs(min_score, kinds)


def indexed_exact_pairs(
    view: ProjectIndex, workspace: Workspace, finder: DuplicateFinder, kinds: Collection[str]
) -> list[Match] | None:
    """`DuplicateFinder.pairs` of the records sharing a key of these kinds (an e-mail, a
    phone), from the stored keys: only the records holding a key that another holds are
    put in the finder and compared (None: the index cannot answer)."""
    store, project = view.store, finder.project.key
    try:
        keys = _project_keys(view, workspace, finder)
        if keys is None:
            return None
        sharing = {path for path, _kind, _key in store.shared_keys(project, kinds)}
        for rows in keys.read.values():
            for kind, _field, key in rows:
                if kind in kinds:
                    sharing.update(path for path, _field in store.sharing(project, kind, key))
        stored = store.derived_keys(project, sorted(sharing & keys.stored), keys.state)
    except INDEX_FAULTS:
        view.fault()
        return None
    if stored is None:
        return None
    for path, rows in (*stored.items(), *keys.read.items()):
        finder.add_keys(_record_id(path), finder.keys_from(rows))
    return finder.pairs(0, kinds)


class IndexedMatches:
    """`DuplicateFinder.matches` for new records of a project (`crm add`, each row of `crm
    import`), asking the index for the records that share one of a new record's keys: the
    records read this run are bucketed once, the stored ones asked for per key."""

    def __init__(self, view: ProjectIndex, finder: DuplicateFinder, keys: ProjectKeys) -> None:
        self.view = view
        self.finder = finder
        self.keys = keys
        for path, rows in keys.read.items():
            finder.add_keys(_record_id(path), finder.keys_from(rows))

    @classmethod
    def open(
        cls, view: ProjectIndex, workspace: Workspace, project: Project, may_see: MaySee
    ) -> IndexedMatches | None:
        finder = DuplicateFinder(workspace, project, may_see)
        try:
            keys = _project_keys(view, workspace, finder)
        except INDEX_FAULTS:
            view.fault()
            return None
        return None if keys is None else cls(view, finder, keys)

    def matches(self, data: dict) -> list[Match] | None:
        """The records a new record with `data` likely duplicates (None: the index cannot
        answer any more)."""
        try:
            others = self._others(data)
        except INDEX_FAULTS:
            self.view.fault()
            return None
        return None if others is None else self.finder.matches(data, "", others=others)

    def _others(self, data: dict) -> Others | None:
        """The stored records in the new record's buckets, and the keys of those a
        comparison needs."""
        finder, store, project = self.finder, self.view.store, self.finder.project.key
        buckets: dict[Bucket, list[str]] = {}
        wanted: set[str] = set()
        for bucket in finder.keys_of(data).buckets:
            kind, key = bucket
            members = dict.fromkeys(
                path
                for path, field_key in store.sharing(project, kind, key)
                if path in self.keys.stored and finder.compared(kind, field_key)
            )
            buckets[bucket] = [_record_id(path) for path in members]
            limit = bucket_limit(kind)
            if limit is None or len(finder.buckets.get(bucket, ())) + len(members) <= limit:
                wanted.update(members)
        stored = store.derived_keys(project, sorted(wanted), self.keys.state)
        if stored is None:
            return None
        keys = {_record_id(path): finder.keys_from(rows) for path, rows in stored.items()}
        return Others(buckets, keys)


def fill_checked_keys(
    index: Index,
    workspace: Workspace,
    only: Collection[str] | None = None,
) -> None:
    """After `crm check` saved the index: the keys of its rows that have none (all of them
    after a rebuild, the rows written on an incremental save), so that the first `crm
    duplicates` or `crm add` after it derives none. Only for the projects with an e-mail or
    phone field (where people and companies are, and what `crm check --duplicates` reads):
    deriving every deal's name words would cost a cold check seconds. Keys are derived from
    the records this run read, which are what the rows it saved hold (a row left stale by a
    save that did not land is never fresh again: its keys are never used)."""
    if index.failed or index.secrets:
        return
    store = index.store
    with collector_paused():
        try:
            state = store.meta("state")
            for project, finder in _keyed_projects(workspace):
                keyed = None if state is None else store.keyed_paths(project.key, state)
                if keyed is None:
                    continue
                missing = {
                    path: finder.key_rows(record.data)
                    for record_id, record in _checked(project, only)
                    if (path := f"{project.key}/{record_id}.yaml") not in keyed
                }
                if missing and not store.save_keys(project.key, missing, state):
                    return  # busy: derived when asked
        except INDEX_FAULTS:
            index.fault()


def _keyed_projects(workspace: Workspace) -> Iterator[tuple[Project, DuplicateFinder]]:
    """The projects whose keys the index keeps, those with an e-mail or phone field."""
    for project in workspace.projects.values():
        finder = DuplicateFinder(workspace, project, lambda field: True)
        if finder.fields["email"] or finder.fields["phone"]:
            yield project, finder


def _checked(project: Project, only: Collection[str] | None) -> Iterable[tuple[str, Record]]:
    if only is None:
        return project.records.items()
    prefix = f"{project.key}/"
    ids = (path[len(prefix) : -len(".yaml")] for path in only if path.startswith(prefix))
    return [(i, record) for i in ids if (record := project.records.get(i)) is not None]


def _project_keys(
    view: ProjectIndex, workspace: Workspace, finder: DuplicateFinder
) -> ProjectKeys | None:
    """The stored keys that hold, the fresh rows without keys derived and saved, the other
    record files of the project read from `workspace`; None: the index cannot say."""
    store, project = view.store, finder.project.key
    state = store.meta("state")
    keyed = None if state is None else store.keyed_paths(project, state)
    if state is None or keyed is None:
        return None
    keys = ProjectKeys(state, keyed.intersection(view.fresh))
    filled = {}
    for path in view.fresh:
        row = None if path in keys.stored else store.record(path)
        if row is not None:
            filled[path] = finder.key_rows(loads(row[0]))
    if filled:
        store.save_keys(project, filled, state)  # busy or changed: derived again next time
    keys.read.update(filled)
    records = workspace.projects[project].records
    for path in view.paths:
        if path not in keys.stored and path not in keys.read:
            record = records.get(_record_id(path))
            if record is not None:
                keys.read[path] = finder.key_rows(record.data)
    return keys


def _record_id(path: str) -> str:
    return path.rpartition("/")[2].removesuffix(".yaml")
