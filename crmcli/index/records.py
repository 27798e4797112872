"""Records as the index gives them back: reused by the loader when their file did not change
(`Reuse`), or served whole, computed values included, without reading any file
(`IndexedRecords`). With secrets enabled a row keeps the data as parsed, hidden values still
sealed, and the loader opens them after reuse as it does after parsing; a command about one
record reads only the rows it needs (`FreshRows`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crmcli.core.collector import collector_paused
from crmcli.core.lazy_records import OnDemandRecords
from crmcli.core.loader import Loader
from crmcli.core.model import Record, Workspace
from crmcli.errors import Problem
from crmcli.index.columns import ColumnSet
from crmcli.index.freshness import StatKey, file_digest
from crmcli.index.on_demand import PendingComputed, ServedSave, StoredComputed
from crmcli.index.pickles import NO_PROBLEMS, dumps, loads
from crmcli.index.store import INDEX_FAULTS, FileRow, IndexStore


@dataclass(slots=True)
class ReadFile:
    """One record file as this run read it: its row (what the index will keep) and record."""

    row: FileRow
    record: Record | None


@dataclass(slots=True)
class Columns:
    """A project's columns, with where each record is in them; `overlay`: the files changed
    since they were built, read from their rows."""

    set: ColumnSet
    overlay: frozenset[str]
    positions: dict[str, int]

    @classmethod
    def of(cls, store: IndexStore, project_key: str, overlay: frozenset[str]) -> Columns:
        columns = ColumnSet(store.columns(project_key).get)  # all in one query
        return cls(columns, overlay, {record_id: i for i, record_id in enumerate(columns.ids)})

    def at(self, row: FileRow) -> int | None:
        """The record's place in the columns, or None when they do not hold it as it is."""
        return None if row.path in self.overlay else self.positions.get(row.record_id)


class Reuse:
    """The loader's `RecordReuse`: rows whose file is unchanged are given back as read, other
    files are parsed; either way `read` remembers them, in the loader's order, for saving."""

    def __init__(
        self,
        root: Path,
        rows: Mapping[str, FileRow],
        files: dict[str, StatKey],
        seen_ns: int,
        sealed: bool = False,
        columns: Callable[[str], Columns | None] = lambda _project: None,
    ) -> None:
        self.root = root
        self.rows = rows  # reusable rows by path
        self.files = files  # the stat of every record file when scanned
        self.seen_ns = seen_ns
        self.sealed = sealed  # secrets enabled: data is kept as parsed, before it is opened
        self.dates_typed = not sealed  # the loader types the dates of data as parsed
        self.read: dict[str, ReadFile] = {}
        self._columns_of = columns
        self._columns: dict[str, Columns | None] = {}

    def _data(self, project_key: str, row: FileRow, data: bytes) -> dict[str, Any]:
        """A reused record's data: from its project's columns unless it changed since."""
        if project_key not in self._columns:
            self._columns[project_key] = self._columns_of(project_key)
        columns = self._columns[project_key]
        if columns is not None:
            at = columns.at(row)
            if at is not None:
                return columns.set.data(at)
        return loads(data)

    def reusable(self, relative: str) -> bool:
        return relative in self.rows

    def read_record(self, loader: Loader, project_key: str, relative: str) -> Record | None:
        row = self.rows.get(relative)
        if row is not None:
            if row.problems != NO_PROBLEMS:
                loader.log.problems.extend(loads(row.problems))
            record = None
            if row.data is None:
                loader.log.left_out.add(relative)
            else:
                record = Record(
                    project_key, row.record_id, relative, self._data(project_key, row, row.data)
                )
            self.read[relative] = ReadFile(row, record)
            return record
        return self._parse(loader, project_key, relative)

    def _parse(self, loader: Loader, project_key: str, relative: str) -> Record | None:
        scanned = self.files.get(relative)
        ahead = loader.parsed_ahead(relative)
        # the digest of the very bytes parsed, else one taken before parsing: never newer
        content_digest = ahead.digest if ahead else file_digest(self.root / relative)
        before = len(loader.log.problems)
        record = loader.parse_record(project_key, relative)
        if scanned is not None:  # a file that appeared after the scan is read again next time
            problems: list[Problem] = loader.log.problems[before:]
            row = FileRow(
                relative,
                project_key,
                relative.rpartition("/")[2].removesuffix(".yaml"),
                *scanned,
                self.seen_ns,
                content_digest,
                dumps(record.data) if self.sealed and record is not None else None,
                dumps(problems) if problems else NO_PROBLEMS,
            )
            self.read[relative] = ReadFile(row, record)
        return record


class FreshRows(Mapping[str, FileRow]):
    """The rows of the unchanged record files, each read from the index when first asked for,
    so that a command about one record does not read the whole table. A row the index cannot
    give back is missing: its file is parsed instead."""

    def __init__(self, store: IndexStore, fresh: set[str]) -> None:
        self._store = store
        self._fresh = fresh
        self._read: dict[str, FileRow | None] = {}

    def __contains__(self, path: object) -> bool:
        return path in self._fresh

    def __getitem__(self, path: str) -> FileRow:
        if path not in self._read and path in self._fresh:
            try:
                self._read[path] = next(self._store.rows([path]), None)
            except INDEX_FAULTS:
                self._read[path] = None
        row = self._read.get(path)
        if row is None:
            raise KeyError(path)
        return row

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._fresh))

    def __len__(self) -> int:
        return len(self._fresh)


class IndexedRecords(OnDemandRecords):
    """A project's records read from the index, each when first asked for (all at once when
    iterated), with their computed values. Should the index fail while serving, the records
    come from the workspace loaded and computed from its files instead (`on_fault`, once for
    every project)."""

    def __init__(
        self,
        store: IndexStore,
        project_key: str,
        on_fault: Callable[[], Workspace],
        count: int | None = None,
        overlay: frozenset[str] | None = None,
        state: str = "",
    ) -> None:
        super().__init__(project_key)
        # of the save served: what is fetched later must come from it (or from the files)
        self.served_state = state
        self._count = count  # of the records the index holds, known without a query
        self._overlay = overlay  # files read from their rows, not the columns (None: all)
        self._store = store
        self._on_fault = on_fault
        self._fallback: Mapping[str, Record] | None = None
        self._complete = False

    def _from_files(self) -> Mapping[str, Record]:
        if self._fallback is None:
            project = self._on_fault().projects.get(self._project_key)
            self._fallback = project.records if project is not None else {}
        return self._fallback

    def _read(self, record_id: str) -> Record | None:
        if self._fallback is not None:
            return self._fallback.get(record_id)
        if self._complete:
            return None
        try:
            found = self._store.record(self._relative(record_id))
            return _record(self._project_key, record_id, *found) if found else None
        except INDEX_FAULTS:
            return self._from_files().get(record_id)

    def _listed(self) -> set[str]:
        if self._fallback is None:
            try:
                return set(self._store.record_ids(self._project_key))
            except INDEX_FAULTS:
                pass
        return set(self._from_files())

    def __len__(self) -> int:
        untouched = self._ids is None and not self._cache and not self._removed
        if self._fallback is None and untouched and self._count is not None:
            return self._count
        return super().__len__()

    def values(self) -> list[Record]:  # type: ignore[override]
        """Every record, read from the index in one query."""
        if not self._complete and self._fallback is None:
            try:
                with collector_paused():
                    self._read_all()
                self._complete = True
            except INDEX_FAULTS:
                self._cache.clear()
                self._from_files()
        found = []
        for record_id in self._all_ids():
            record = self.get(record_id)
            if record is not None:
                found.append(record)
        return found

    def _read_all(self) -> None:
        """Every record: data from the project's columns, each fetched when first read (rows
        for the files changed since they were built), computed values likewise."""
        key, overlay = self._project_key, self._overlay
        if overlay is None:
            for row in self._store.project_rows(key):
                known = row.record_id in self._cache or row.record_id in self._removed
                if row.data is not None and not known:
                    self._cache[row.record_id] = _record(key, row.record_id, row.data, row.computed)
            return
        served = ServedSave(self._store, lambda: self.served_state)
        columns = ColumnSet(served.column(key), self._column_from_files)
        computed = StoredComputed(served, key, self._computed_from_files)
        changed = {path[len(key) + 1 : -5]: path for path in overlay}  # record id → path
        cache, removed = self._cache, self._removed
        for at, record_id in enumerate(columns.ids):
            if record_id not in cache and record_id not in changed and record_id not in removed:
                record = Record(key, record_id, f"{key}/{record_id}.yaml", columns.data(at))
                record.computed = PendingComputed(computed, record_id)
                cache[record_id] = record
        ids = [i for i in columns.ids if i not in changed] if changed else list(columns.ids)
        for record_id, path in changed.items():  # from their rows (few: see columns.py)
            found = None if record_id in removed else self._store.record(path)
            if found is not None:
                ids.append(record_id)
                if record_id not in cache:
                    cache[record_id] = _record(key, record_id, *found)
        if changed:
            ids.sort(key=lambda record_id: record_id + ".yaml")  # the loader's order
        if not self._removed and cache.keys() <= set(ids):  # as _all_ids would list them
            self._ids = ids

    def _column_from_files(self, field: str, ids: list[str]) -> list[Any]:
        records = self._from_files()
        return [r.data.get(field) if (r := records.get(i)) is not None else None for i in ids]

    def _computed_from_files(self, record_id: str) -> dict[str, Any]:
        record = self._from_files().get(record_id)
        return record.computed if record is not None else {}


def _record(project_key: str, record_id: str, data: bytes, computed: bytes | None) -> Record:
    record = Record(project_key, record_id, f"{project_key}/{record_id}.yaml", loads(data))
    record.computed = loads(computed) if computed is not None else {}
    return record
