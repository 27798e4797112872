"""One command's use of the index: is it fresh, what can be reused, serving it, saving it.

A reading command opens the index, which stats every record file (`freshness.scan`). When
everything is as the index last saw it, the command is served from the index: records and
their computed values are read by key when asked for, and `crm check` gets the problems it
found last time. Otherwise the workspace is loaded as without the index, except that each
unchanged record file is taken from the index instead of being parsed again, and the new
state is saved in one transaction (on a large workspace by a detached child, once the command
has its answer: `index/detached_save.py`). `--no-cache` or `CRM_NO_CACHE=1` bypass the index; an
index that cannot be used is removed and rebuilt — it never changes an answer.

With secrets enabled (`keys/data-key.age`), the index holds ciphertext only. What it keeps
of a record is what does not depend on who reads it: the data as the file holds it (the
`enc:v1:` strings, taken before the loader opens them; the loader's one decryption path
opens them again on every run, for this reader's key), the problems of reading the file
(they quote the file's bytes, never an opened value) and the references of the fields that
are not hidden. Everything that may be derived from an opened value — computed values (a
rollup of `cost`, a formula over it, a lookup of it), their failures, the record rules'
issues, `crm check`'s answer, the documents of a hidden `files` field — differs by key
holder and could spell a hidden value, so it is not stored: each run computes and checks it
again. The rule needs no knowledge of what each plan reads and no key in the index's
identity, since nothing kept differs by reader; the price is that with secrets the index
saves parsing, not computing, and `crm show` computes its one record from the rows it needs
(`open_lazy`). An index saved before secrets were enabled is deleted whole, so no page of
the file still holds a plain value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from crmcli.core.loader import Loader
from crmcli.core.model import Workspace
from crmcli.core.problems import ProblemLog
from crmcli.core.state_dir import STATE_DIR
from crmcli.engine.compute import Engine, Failed
from crmcli.engine.reader import workspace_now
from crmcli.engine.types import FieldKey
from crmcli.engine.workspace import OpenWorkspace, open_workspace
from crmcli.errors import Problem
from crmcli.index.changes import FileChanges, file_changes
from crmcli.index.detached_save import left_to_child
from crmcli.index.freshness import (
    Scan,
    file_digest,
    scan,
    settled,
    watched_state,
)
from crmcli.index.pickles import NO_PROBLEMS
from crmcli.index.recompute import DirtyRecords, dirty_records
from crmcli.index.records import Columns, FreshRows, IndexedRecords, Reuse
from crmcli.index.saving import save_columns, saved_rows, saved_state
from crmcli.index.store import INDEX_FAULTS, FileRow, IndexStore, index_file
from crmcli.index.wanted import cache_wanted
from crmcli.secrets.keyfile import KEY_FILE


@dataclass(slots=True)
class IndexedWorkspace(OpenWorkspace):
    """An opened workspace served from the index: backlinks come from its reverse references."""

    index: Index | None = None

    def referring(self, project_key: str, record_id: str) -> list[tuple[str, str, str]]:
        index = self.index
        if index is not None and not index.failed:
            try:
                return [
                    (source.partition("/")[0], source.rpartition("/")[2][:-5], field)
                    for source, field in index.store.referring(project_key, record_id)
                ]
            except INDEX_FAULTS:
                index.fault()
        return OpenWorkspace.referring(self, project_key, record_id)


class Index:
    def __init__(self, root: Path, store: IndexStore, found: Scan, secrets: bool = False) -> None:
        self.root = root
        self.store = store
        self.scan = found
        self.secrets = secrets  # hidden values sealed: only ciphertext and what needs no key
        self.failed = False
        self._handed_over = False  # its save left to a detached child (`save_after_answer`)
        self._reuse: Reuse | None = None
        self._dirty: DirtyRecords | None = None
        self._fallback: Workspace | None = None
        self.same_configuration = store.meta("fingerprint") == found.fingerprint
        self._fresh_paths: set[str] | None = None
        self.changes: FileChanges | None = None  # None: none, found at once
        if self._same_files():
            same_files = True
        else:
            self.changes = file_changes(root, store, found, store.meta("listing"))
            self._fresh_paths = set(found.files) - self.changes.changed
            same_files = not self.changes.all
            if same_files:  # only times of racy files moved on: the next run compares quickly
                store.save([], [], [], {"listing": found.listing, "listing_digest": found.digest})
        self.everything_fresh = (
            self.same_configuration
            and same_files
            and store.meta("watched") == watched_state(root, store.meta("watched_paths") or ())
        )

    @property
    def fresh_paths(self) -> set[str]:
        """The record files whose rows still say what they hold."""
        if self._fresh_paths is None:
            self._fresh_paths = set(self.scan.files)
        return self._fresh_paths

    def _same_files(self) -> bool:
        """The quick answer, without reading a row: every record file has the stat it had when
        saved, and those modified close to being read still have the same content."""
        if self.store.meta("listing_digest") != self.scan.digest:
            return False
        racy: dict[str, bytes] = self.store.meta("racy") or {}
        if not all(file_digest(self.root / path) == d for path, d in racy.items()):
            return False
        files, seen_ns = self.scan.files if racy else {}, self.scan.seen_ns
        calm = [path for path in racy if settled(files[path], seen_ns)]
        if calm:  # their content was checked at this scan: trusted by their stat from now on
            self.store.settle(calm, seen_ns, {p: d for p, d in racy.items() if p not in calm})
        return True

    @classmethod
    def open(cls, root: Path, cache: bool = True) -> Index | None:
        """The index of the workspace, checked against its files; None when bypassed."""
        if not cache_wanted(cache):
            return None
        secrets = (root / KEY_FILE).is_file()
        store = IndexStore.open(root)
        if store is not None and secrets and not _kept_sealed(store):
            store.close()  # saved before secrets were enabled: its pages may hold plain values
            store = None
        if store is None:
            IndexStore.remove(root)
            store = IndexStore.open(root)
            if store is None:
                return None
        try:
            return cls(root, store, scan(root), secrets)
        except INDEX_FAULTS:
            store.close()
            IndexStore.remove(root)
            return None

    def fault(self) -> None:
        """The index failed while serving: it is removed, the command goes on from the files
        (unless a detached child is writing it: then it is the child's)."""
        self.failed = True
        if self._handed_over:
            return
        self.store.close()
        IndexStore.remove(self.root)

    def _from_files(self, today: date) -> Workspace:
        """The index failed while serving: the workspace as read and computed from its files
        (once), for the records not yet served."""
        if self._fallback is None:
            self.fault()
            self._fallback = open_workspace(self.root, today).workspace
        return self._fallback

    # serving

    def _servable(self, today: date) -> bool:
        if self.secrets:  # computed values are not kept: each run computes them again
            return False
        return not self.failed and self.everything_fresh and self.store.meta("today") == today

    def open_workspace(self, today: date) -> OpenWorkspace:
        """The workspace with every computed field filled in, as `engine.workspace` opens it."""
        try:
            if self._servable(today):
                return self._serve(today)[0]
        except INDEX_FAULTS:
            self.fault()
        loader = Loader(self.root, reuse=self.reuse())
        workspace = loader.load()
        engine = Engine(workspace, loader.log, today)
        engine.recompute = self.recompute(workspace, today)
        engine.run()
        self.save_after_answer(lambda: self.save(workspace, today, engine.failures))
        return IndexedWorkspace(workspace, engine)

    def open_lazy(self, today: date) -> OpenWorkspace:
        """A command about one record with secrets enabled (`crm show`): records read when
        asked for, each from its row while its file is unchanged (opened by the loader as
        after parsing), and computed by `engine.compute_record` as without the index;
        nothing is saved."""
        rows = FreshRows(self.store, self.fresh_paths) if self.same_configuration else {}
        reuse = Reuse(self.root, rows, self.scan.files, self.scan.seen_ns, self.secrets)
        loader = Loader(self.root, reuse=reuse)
        workspace = loader.load(lazy=True)
        return OpenWorkspace(workspace, Engine(workspace, loader.log, today))

    def checked(self, today: date) -> tuple[Workspace, Engine, list[Problem]] | None:
        """What `crm check` found when the workspace was as it is now, or None."""
        try:
            if not self._servable(today):
                return None
            problems = self.store.meta("checked")
            if problems is None or self.store.meta("checked_state") != self.store.meta("state"):
                return None
            opened, _log = self._serve(today)
        except INDEX_FAULTS:
            self.fault()
            return None
        opened.workspace.problems = list(problems)
        return opened.workspace, opened.engine, list(problems)

    def _serve(self, today: date) -> tuple[IndexedWorkspace, ProblemLog]:
        loader = Loader(self.root)
        workspace = loader.load(lazy=True)  # configuration and schemas; no record is read
        counts = self.store.meta("counts")
        overlays = self.store.meta("columns") or {}
        state = self.store.meta("state")
        for project in workspace.projects.values():
            project.records = IndexedRecords(
                self.store,
                project.key,
                lambda: self._from_files(today),
                counts.get(project.key),
                overlays.get(project.key),
                state,
            )
        loader.log.problems.extend(self.store.meta("file_problems"))
        loader.log.left_out.update(self.store.meta("left_out"))
        workspace.problems = loader.log.problems
        workspace.left_out = loader.log.left_out
        engine = Engine(workspace, loader.log, today)
        engine.planned(loader.log)
        return IndexedWorkspace(workspace, engine, self), loader.log

    # reusing and saving

    def reuse(self) -> Reuse | None:
        """What the loader may take from the index instead of parsing (nothing when the
        configuration changed: schemas decide how a record file is read)."""
        rows: dict[str, FileRow] = {}
        columns: dict[str, Columns] = {}
        if self.same_configuration and not self.failed:
            try:
                with self.store.snapshot():  # rows and columns as one save left them
                    rows = {r.path: r for r in self.store.rows() if r.path in self.fresh_paths}
                    overlays = {} if self.secrets else self.store.meta("columns") or {}
                    columns = {
                        key: Columns.of(self.store, key, overlay)
                        for key, overlay in overlays.items()
                    }
            except INDEX_FAULTS:
                self.fault()
                return None
        self._reuse = Reuse(
            self.root, rows, self.scan.files, self.scan.seen_ns, self.secrets, columns.get
        )
        return self._reuse

    def recompute(self, workspace: Workspace, today: date) -> DirtyRecords | None:
        """The records whose computed values this run computes again (None: all), the
        others' values filled in from the index."""
        reuse = self._reuse
        if reuse is None or self.failed or self.secrets or not self.same_configuration:
            return None
        try:
            self._dirty = dirty_records(self.store, reuse, workspace, today)
        except INDEX_FAULTS:
            for read in reuse.read.values():
                if read.record is not None:
                    read.record.computed = {}
            self.fault()
            self._dirty = None
        return self._dirty

    def known_issues(self, workspace: Workspace, today: date) -> dict[str, list[Problem]]:
        """Record files whose rules need not run again: unchanged, found without issue last
        time, in a workspace with the same configuration, the same records that can be read
        (references and depends_on name them) and the same documents for `files` fields. A
        record with issues is checked again: their hints may name other records."""
        reuse = self._reuse
        if reuse is None or not self._issues_hold(workspace, today):
            return {}
        dirty = self._dirty.dirty if self._dirty is not None else set()
        return {
            path: []
            for path, row in reuse.rows.items()
            if row.issues == NO_PROBLEMS and path not in dirty
        }

    def _issues_hold(self, workspace: Workspace, today: date) -> bool:
        try:
            if self.failed or not self.same_configuration or self.store.meta("today") != today:
                return False
            watched = self.store.meta("watched_paths") or ()
            if self.store.meta("watched") != watched_state(self.root, watched):
                return False
            stored = set(self.store.meta("files") or ()) - set(self.store.meta("left_out") or ())
        except INDEX_FAULTS:
            return False
        readable = {r.path for p in workspace.projects.values() for r in p.records.values()}
        return stored == readable

    def save(
        self,
        workspace: Workspace,
        today: date,
        failures: dict[FieldKey, dict[str, Failed]],
        checked: list[Problem] | None = None,
        issues: dict[str, list[Problem]] | None = None,
        parts: list[list[Problem]] | None = None,
    ) -> None:
        """Keep this run's records, computed values and their failures, and (for `crm
        check`) its problems, what each of its steps found (`parts`) and each record's
        issues; only the rows that changed are written (`index/saving.py`)."""
        reuse = self._reuse
        if reuse is None or self.failed:
            return
        if self.secrets:  # what an opened value may have given is not kept
            checked, issues, parts = None, None, None
        if issues is None and not self._issues_hold(workspace, today):
            for row in reuse.rows.values():
                row.issues = None
        recomputed = self._dirty.dirty if self._dirty is not None else None  # None: all
        seen_ns = self.scan.seen_ns
        saved = saved_rows(reuse, workspace, seen_ns, self.secrets, recomputed, issues)
        meta = saved_state(
            self.root, self.scan, saved, today, failures, checked, parts, self.secrets
        )
        begun = save_columns(self.store, reuse, workspace, self.secrets)
        if begun is None:
            self.fault()
            return
        removed, meta["columns"], columns = begun
        self.store.save(saved.written, removed, saved.references, meta, columns)

    def save_after_answer(self, save: Callable[[], None]) -> None:
        """Run `save`, this run's writes to the index; left to a detached child when they
        rewrite a large workspace, so that the command answers meanwhile
        (`index/detached_save.py`)."""
        records = len(self._reuse.read) if self._reuse is not None else 0

        def in_child() -> None:
            self.store.reconnect()  # SQLite's connection may not be used across fork()
            save()

        if left_to_child(self.store.path, in_child, records):
            self.failed = self._handed_over = True  # the child's now: not read nor written here
        else:
            save()


def _kept_sealed(store: IndexStore) -> bool:
    """Whether the index was saved with secrets enabled (ciphertext only) or is still empty."""
    try:
        return store.meta("secrets") is True or store.meta("files") is None
    except INDEX_FAULTS:
        return False


def workspace_today(root: Path) -> date:
    """Today in the workspace time zone (`$CRM_NOW` replays another day), the day
    `open_workspace` computes for: the index keeps the day its values were computed for and
    serves them on that day only. Reads the configuration alone, no record."""
    return workspace_now(Loader(root).load(lazy=True)).date()


def index_ready(root: Path, cache: bool = True) -> bool:
    """Whether a command may answer from an index already built (without building one)."""
    return cache_wanted(cache) and (root / STATE_DIR / index_file()).is_file()


def open_indexed(
    root: Path, today: date | None = None, cache: bool = True, lazy: bool = False
) -> OpenWorkspace:
    """The opened workspace, from the index where it is fresh (`--no-cache`: from the files).
    lazy: a command about one record, whose records are read when asked for where the index
    keeps no computed values (secrets enabled)."""
    day = today or workspace_today(root)
    index = Index.open(root, cache)
    if index is None:
        return open_workspace(root, day)
    if lazy and index.secrets:
        return index.open_lazy(day)
    return index.open_workspace(day)
