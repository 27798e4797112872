"""Records as the index gives them back: reused by the loader when their file did not change
(`Reuse`), or served whole, computed values included, without reading any file
(`IndexedRecords`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from crmcli.core.lazy_records import OnDemandRecords
from crmcli.core.loader import Loader
from crmcli.core.model import Record, Workspace
from crmcli.errors import Problem
from crmcli.index.freshness import StatKey, file_digest
from crmcli.index.store import INDEX_FAULTS, NO_PROBLEMS, FileRow, IndexStore, dumps, loads


@dataclass(slots=True)
class ReadFile:
    """One record file as this run read it: its row (what the index will keep) and record."""

    row: FileRow
    record: Record | None
    pickled: bytes | None = None  # the record's data as a parse worker pickled it


class Reuse:
    """The loader's `RecordReuse`: rows whose file is unchanged are given back as read, other
    files are parsed; either way `read` remembers them, in the loader's order, for saving."""

    def __init__(
        self, root: Path, rows: dict[str, FileRow], files: dict[str, StatKey], seen_ns: int
    ) -> None:
        self.root = root
        self.rows = rows  # reusable rows by path
        self.files = files  # the stat of every record file when scanned
        self.seen_ns = seen_ns
        self.read: dict[str, ReadFile] = {}

    def reusable(self, relative: str) -> bool:
        return relative in self.rows

    def read_record(self, loader: Loader, project_key: str, relative: str) -> Record | None:
        row = self.rows.get(relative)
        if row is not None:
            loader.log.problems.extend(loads(row.problems))
            record = None
            if row.data is None:
                loader.log.left_out.add(relative)
            else:
                record = Record(project_key, row.record_id, relative, loads(row.data))
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
                None,
                dumps(problems) if problems else NO_PROBLEMS,
            )
            self.read[relative] = ReadFile(row, record, ahead.pickled if ahead else None)
        return record


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
    ) -> None:
        super().__init__(project_key)
        self._count = count  # of the records the index holds, known without a query
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
                for row in self._store.project_rows(self._project_key):
                    if row.data is not None and row.record_id not in self._cache:
                        self._cache[row.record_id] = _record(
                            self._project_key, row.record_id, row.data, row.computed
                        )
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


def _record(project_key: str, record_id: str, data: bytes, computed: bytes | None) -> Record:
    record = Record(project_key, record_id, f"{project_key}/{record_id}.yaml", loads(data))
    record.computed = loads(computed) if computed is not None else {}
    return record
