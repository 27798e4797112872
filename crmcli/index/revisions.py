"""The index as the review commands use it (`crm diff`, `crm log`): each side of a review reads
its record files through the index instead of parsing them again.

- The working tree: a record file whose stat says it did not change since the index read it
  is given back from its row (`FreshRows`); the others are parsed. The review computes its
  own values (it reads two states record by record), so it saves no row: when it is about to
  read every record (`--totals`) and the index knows less than half of them, it first brings
  the index up to date as any reading command does, for the next run to find it.
- A git revision: a blob's id names its content forever, so what reading it gave (the
  record's data and the loader's problems, in the language of the run) is kept by that id
  (`BlobReuse`) and holds for every revision and every path that has the blob. Only the
  `BLOBS_KEPT` latest blobs are kept; older ones are read from git again when needed.

Nothing here changes an answer: a blob or a row that cannot be read makes the file be parsed,
and a damaged index is removed (the next command builds a new one).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from crmcli.core.loader import Loader
from crmcli.core.model import Record
from crmcli.core.sources import Entry
from crmcli.errors import Problem
from crmcli.git.sources import GitFiles
from crmcli.i18n import current_language
from crmcli.index.pickles import NO_PROBLEMS, dumps, loads
from crmcli.index.session import Index, workspace_today
from crmcli.index.store import INDEX_FAULTS, IndexStore
from crmcli.index.wanted import cache_wanted
from crmcli.secrets.keyfile import KEY_FILE

BLOBS_KEPT = 300_000  # blobs of record files: three revisions of a 100,000-record workspace


class ReviewIndex:
    """One review's use of the index: the sides' record readers, and the blobs to keep."""

    def __init__(self, root: Path, store: IndexStore, index: Index | None = None) -> None:
        self.root = root
        self.store = store
        self.index = index  # None: the blobs only (the working tree's rows are not read)
        self._failed = False
        self._revisions: list[BlobReuse] = []

    @classmethod
    def open(
        cls, root: Path, cache: bool = True, whole: bool = False, working_tree: bool = True
    ) -> ReviewIndex | None:
        """The index of `root` (None with --no-cache); `whole`: every record will be read;
        `working_tree=False`: only past versions are (no scan of the working tree)."""
        if not working_tree:
            store = _blob_store(root, cache)
            return cls(root, store) if store is not None else None
        index = Index.open(root, cache)
        if index is not None and whole and not _mostly_known(index):
            index.open_workspace(workspace_today(root))
            index.store.close()
            index = Index.open(root, cache)
        return cls(root, index.store, index) if index is not None else None

    @property
    def failed(self) -> bool:
        return self.index.failed if self.index is not None else self._failed

    def fault(self) -> None:
        """The index failed while being read: removed; the files are parsed instead."""
        if self.index is not None:
            self.index.fault()
            return
        self._failed = True
        self.store.close()
        IndexStore.remove(self.root)

    def working_tree(self) -> FreshRows | None:
        return FreshRows(self.index) if self.index is not None else None

    def revision(self, files: GitFiles) -> BlobReuse:
        reuse = BlobReuse(self, files)
        self._revisions.append(reuse)
        return reuse

    def keep(self) -> None:
        """Save the blobs this review parsed (those no other command saved meanwhile)."""
        parsed: dict[str, tuple[bytes | None, bytes]] = {}
        for reuse in self._revisions:
            parsed.update(reuse.parsed)
        if parsed and not self.failed:
            self.store.save_blobs(parsed, current_language(), BLOBS_KEPT)

    def close(self) -> None:
        self.store.close()


def _blob_store(root: Path, cache: bool) -> IndexStore | None:
    """The index file alone, under the rules `Index.open` follows (bypassed, or not kept
    while hidden values are encrypted)."""
    if not cache_wanted(cache) or (root / KEY_FILE).is_file():
        return None
    store = IndexStore.open(root)
    if store is None:  # damaged: removed, and made again
        IndexStore.remove(root)
        store = IndexStore.open(root)
    return store


def _mostly_known(index: Index) -> bool:
    known = len(index.fresh_paths) if index.same_configuration else 0
    return known * 2 >= len(index.scan.files)


class FreshRows:
    """The loader's `RecordReuse` for the working tree: unchanged files from the index."""

    def __init__(self, index: Index) -> None:
        self.index = index
        self.paths = index.fresh_paths if index.same_configuration else set()

    def reusable(self, relative: str) -> bool:
        return relative in self.paths and not self.index.failed

    def read_record(self, loader: Loader, project_key: str, relative: str) -> Record | None:
        if self.reusable(relative):
            try:
                for row in self.index.store.rows([relative]):
                    data = loads(row.data) if row.data is not None else None
                    return _given_back(loader, project_key, relative, data, _problems(row.problems))
            except INDEX_FAULTS:
                self.index.fault()
        return loader.parse_record(project_key, relative)


class BlobReuse:
    """The loader's `RecordReuse` for a git revision (or git's staging area): a blob read
    before is given back as it was read; another is parsed, and kept in `parsed`."""

    def __init__(self, review: ReviewIndex, files: GitFiles) -> None:
        self.review = review
        self.files = files
        self.language = current_language()
        self.parsed: dict[str, tuple[bytes | None, bytes]] = {}
        self._rows: dict[str, tuple[bytes | None, bytes] | None] = {}

    def _row(self, object_id: str) -> tuple[bytes | None, bytes] | None:
        if self.review.failed:
            return None
        if object_id not in self._rows:
            try:
                self._rows[object_id] = self.review.store.blob(object_id, self.language)
            except INDEX_FAULTS:
                self.review.fault()
                return None
        return self._rows[object_id]

    def reusable(self, relative: str) -> bool:
        object_id = self.files.object_id(relative)
        return object_id is not None and self._row(object_id) is not None

    def read_record(self, loader: Loader, project_key: str, relative: str) -> Record | None:
        return self.read_blob(loader, project_key, relative, self.files.object_id(relative))

    def read_blob(
        self, loader: Loader, project_key: str, relative: str, object_id: str | None
    ) -> Record | None:
        """The record file `relative` as blob `object_id` holds it (None: not in git)."""
        row = self._row(object_id) if object_id is not None else None
        if row is not None:
            self._rows.pop(object_id, None)  # type: ignore[arg-type]
            try:
                data = loads(row[0]) if row[0] is not None else None
                problems = _problems(row[1])
            except INDEX_FAULTS:
                self.review.fault()
            else:
                return _given_back(loader, project_key, relative, data, problems)
        before = len(loader.log.problems)
        record = loader.parse_record(project_key, relative)
        if object_id is not None:  # as parsed: before dates are typed and values opened
            data_blob = dumps(record.data) if record is not None else None
            self.parsed[object_id] = (data_blob, dumps(loader.log.problems[before:]))
        return record


class _OneBlob:
    """A source of one file, a blob: what a loader reads to parse a record's past version."""

    def __init__(self, files: GitFiles, relative: str, object_id: str) -> None:
        self.label = object_id
        self.files = files
        self.relative = relative
        self.object_id = object_id

    def read_bytes(self, relative: str, max_bytes: int) -> bytes:
        return self.files.read_object(self.object_id, max_bytes)

    def is_file(self, relative: str) -> bool:
        return relative == self.relative

    def is_dir(self, relative: str) -> bool:
        return False

    def list_dir(self, relative: str) -> list[Entry]:
        return []


def read_blob(
    root: Path,
    files: GitFiles,
    located: tuple[str, str],
    object_id: str,
    reuse: BlobReuse | None = None,
) -> tuple[Record | None, list[Problem]]:
    """The record file `located` (project, path) as blob `object_id` holds it, and the
    problems reading it found, as the loader reads it (through `reuse` when given)."""
    project_key, relative = located
    loader = Loader(root, _OneBlob(files, relative, object_id))
    if reuse is not None:
        record = reuse.read_blob(loader, project_key, relative, object_id)
    else:
        record = loader.parse_record(project_key, relative)
    return record, loader.log.problems


def _given_back(
    loader: Loader, project_key: str, relative: str, data: object, problems: list[Problem]
) -> Record | None:
    """A record file as an earlier reading found it: its problems (at this path: the same blob
    may lie at another), and its record, or None when it could not be read."""
    loader.log.problems.extend(
        p if p.path == relative else replace(p, path=relative) for p in problems
    )
    if not isinstance(data, dict):
        loader.log.left_out.add(relative)
        return None
    return Record(project_key, relative.rpartition("/")[2][:-5], relative, data)


def _problems(blob: bytes) -> list[Problem]:
    return [] if blob == NO_PROBLEMS else loads(blob)  # most files have none: no unpickling
