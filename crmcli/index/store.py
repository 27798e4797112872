"""`.crm/index.sqlite`: where the index is kept, and the only module that talks SQL.

One index per language of the messages (`index.fr.sqlite` for French): the problems it keeps
are messages, so an index is only good for its language, and a team where one member reads
French and another English, or a CI run in English beside a French terminal, would otherwise
rebuild a hundred thousand records' index at every switch.

Why SQLite (stdlib `sqlite3`) rather than files of pickles: one file that a transaction
changes all or nothing, so a command killed while writing, or two commands writing at once,
never leave half an index (the journal is rolled back by the next opener); a reader sees a
state some command saved whole; and one row is read by its key (`crm show` reads a record and
its backlinks without reading the other hundred thousand). Values are pickled
(`index/pickles.py`); the keys other packages derive live in `index/key_tables.py`.

The index stores what the files hold and what is computed from them, nothing else (no
decrypted value ever). Anything wrong with the file — not a database, truncated, another
format or tool version — makes `IndexStore.open` give None; the caller rebuilds it.
"""

from __future__ import annotations

import contextlib
import pickle
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crmcli import __version__
from crmcli.core.state_dir import state_folder
from crmcli.errors import CrmError
from crmcli.i18n import current_language
from crmcli.index.column_child import ASIDE_FROM, ColumnsAside
from crmcli.index.detached_save import wait_for_saver
from crmcli.index.key_tables import KeyTables
from crmcli.index.pickles import dumps, loads

INDEX_FILE = "index.sqlite"  # the index of messages in English, the messages' own language
FORMAT = 7  # of the tables below; with the tool's version, a foreign index is rebuilt
_BUSY_SECONDS = 0.5  # waiting for another command's write; after that, this one does not save
_INHERITED: list[sqlite3.Connection] = []  # a forked child's copies of its parent's connections
# Faults of a damaged or foreign index file, whichever query meets them first.
INDEX_FAULTS = (sqlite3.Error, pickle.UnpicklingError, EOFError, ValueError, TypeError, KeyError)

_TABLES = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB);
CREATE TABLE files (
    path TEXT PRIMARY KEY, project TEXT NOT NULL, record_id TEXT NOT NULL,
    size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, ctime_ns INTEGER NOT NULL,
    inode INTEGER NOT NULL, seen_ns INTEGER NOT NULL, digest BLOB NOT NULL,
    data BLOB, problems BLOB NOT NULL, computed BLOB, issues BLOB
);
CREATE TABLE refs (
    source TEXT NOT NULL, position INTEGER NOT NULL, field TEXT NOT NULL,
    project TEXT NOT NULL, target TEXT NOT NULL
);
-- one project's stat keys without reading the table's pages of pickles (crm add, crm import)
CREATE INDEX files_project ON files (project, path, size, mtime_ns, ctime_ns, inode, seen_ns,
    digest);
CREATE INDEX refs_target ON refs (project, target);
CREATE TABLE columns (project TEXT NOT NULL, name TEXT NOT NULL, blob BLOB NOT NULL,
    PRIMARY KEY (project, name));
CREATE INDEX refs_source ON refs (source);
CREATE TABLE keyed (path TEXT PRIMARY KEY, project TEXT NOT NULL, keys BLOB NOT NULL);
CREATE TABLE keys (
    path TEXT NOT NULL, project TEXT NOT NULL, kind TEXT NOT NULL, field TEXT NOT NULL,
    key TEXT NOT NULL
);
CREATE INDEX keys_key ON keys (project, kind, key);
CREATE INDEX keys_path ON keys (path);
CREATE TABLE blobs (
    id TEXT NOT NULL, language TEXT NOT NULL, data BLOB, problems BLOB NOT NULL,
    PRIMARY KEY (id, language)
);
"""


def index_file(language: str | None = None) -> str:
    """The name of the index kept for a language of the messages (the current one by default)."""
    language = language or current_language()
    return INDEX_FILE if language == "en" else f"index.{language}.sqlite"


@dataclass(slots=True)
class FileRow:
    """What the index knows of one record file: how it looked (stat, content digest) when
    read, and what reading it gave (data None: it could not be read, `problems` say why)."""

    path: str
    project: str
    record_id: str
    size: int
    mtime_ns: int
    ctime_ns: int
    inode: int
    seen_ns: int
    digest: bytes
    data: bytes | None
    problems: bytes
    computed: bytes | None = None
    issues: bytes | None = None  # what `crm check` said of the record (None: not known)


@dataclass(frozen=True, slots=True)
class Reference:
    """One reference of a record file: `field` (its `position` in the schema) names `target`."""

    source: str
    position: int
    field: str
    project: str
    target: str


class IndexStore(KeyTables):
    """An open index. Each read sees the last state a command saved whole; a save replaces
    it in one transaction."""

    def __init__(self, path: Path, connection: sqlite3.Connection) -> None:
        self.path = path
        self._db = connection

    @classmethod
    def open(cls, root: Path) -> IndexStore | None:
        """The index of `root`, created empty if there is none; None if it cannot be used."""
        try:
            path = state_folder(root) / index_file()  # CrmError: a .crm crm must not write through
            wait_for_saver(path)
            connection = sqlite3.connect(path, timeout=_BUSY_SECONDS, isolation_level=None)
        except (CrmError, OSError, sqlite3.Error):
            return None
        store = cls(path, connection)
        try:
            if not store._format_matches():
                store._recreate()
            return store
        except INDEX_FAULTS:
            store.close()
            return None

    @staticmethod
    def remove(root: Path) -> None:
        """Delete a damaged index (and its journal); the next command builds a new one."""
        try:
            folder = state_folder(root)
        except (CrmError, OSError):
            return
        kept = index_file()
        for name in (kept, kept + "-journal"):
            with contextlib.suppress(FileNotFoundError):
                (folder / name).unlink()

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._db.close()

    def reconnect(self) -> None:
        """A connection of its own for a child forked after the store was opened: SQLite's
        may not be used across fork(). The inherited one is kept, never used nor closed
        (closing it here could undo what the parent's holds)."""
        _INHERITED.append(self._db)
        self._db = sqlite3.connect(self.path, timeout=_BUSY_SECONDS, isolation_level=None)

    def _format_matches(self) -> bool:
        tables = {r[0] for r in self._db.execute("SELECT name FROM sqlite_master")}
        if "meta" not in tables:
            return False
        return self.meta("format") == FORMAT and self.meta("tool") == __version__

    def _recreate(self) -> None:
        """A new, empty index of this format (another command may be doing the same)."""
        self._db.execute("BEGIN IMMEDIATE")
        for (name,) in self._db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
        ).fetchall():
            self._db.execute(f'DROP TABLE "{name}"')
        for statement in _TABLES.split(";"):
            if statement.strip():
                self._db.execute(statement)
        self._db.executemany(
            "INSERT INTO meta VALUES (?, ?)",
            [("format", dumps(FORMAT)), ("tool", dumps(__version__))],
        )
        self._db.execute("COMMIT")

    # reading (within the snapshot)

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        """Several reads that see one saved state (no save lands between them)."""
        self._db.execute("BEGIN")
        try:
            yield
        finally:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("COMMIT")

    def meta(self, key: str) -> Any:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return loads(row[0]) if row else None

    def project_stats(self, project: str) -> dict[str, tuple[int, int, int, int, int, bytes]]:
        """path → (size, mtime_ns, ctime_ns, inode, seen_ns, digest) of one project's record
        files: a command about one project's new records."""
        return {
            row[0]: row[1:]
            for row in self._db.execute(
                "SELECT path, size, mtime_ns, ctime_ns, inode, seen_ns, digest FROM files "
                "WHERE project = ?",
                (project,),
            )
        }

    def rows(self, paths: Iterable[str] | None = None) -> Iterator[FileRow]:
        """Rows of these paths (or all), in path order: the loader's order of records."""
        query = "SELECT * FROM files"
        if paths is None:
            yield from (FileRow(*r) for r in self._db.execute(query + " ORDER BY path"))
            return
        for path in paths:
            row = self._db.execute(query + " WHERE path = ?", (path,)).fetchone()
            if row is not None:
                yield FileRow(*row)

    def project_rows(self, project: str) -> Iterator[FileRow]:
        yield from (
            FileRow(*r)
            for r in self._db.execute(
                "SELECT * FROM files WHERE project = ? ORDER BY path", (project,)
            )
        )

    def record_ids(self, project: str) -> list[str]:
        """The ids of the readable records of a project, in the loader's order."""
        return [
            r[0]
            for r in self._db.execute(
                "SELECT record_id FROM files WHERE project = ? AND data IS NOT NULL ORDER BY path",
                (project,),
            )
        ]

    def computed_rows(self, project: str) -> list[tuple[str, str, bytes | None]]:
        """(path, record id, computed values) of the readable records of a project, in the
        loader's order: what serving every record needs besides the columns."""
        return self._db.execute(
            "SELECT path, record_id, computed FROM files "
            "WHERE project = ? AND data IS NOT NULL ORDER BY path",
            (project,),
        ).fetchall()

    def columns(self, project: str) -> dict[str, bytes]:
        """Every column of a project, by name, as one save wrote them."""
        return dict(
            self._db.execute("SELECT name, blob FROM columns WHERE project = ?", (project,))
        )

    def column(self, project: str, name: str) -> bytes | None:
        """One column of a project (see `columns`: a caller reading several checks they come
        from one save)."""
        row = self._db.execute(
            "SELECT blob FROM columns WHERE project = ? AND name = ?", (project, name)
        ).fetchone()
        return row[0] if row else None

    def record(self, path: str) -> tuple[bytes, bytes | None] | None:
        """(data, computed) of a readable record file."""
        row = self._db.execute(
            "SELECT data, computed FROM files WHERE path = ? AND data IS NOT NULL", (path,)
        ).fetchone()
        return (row[0], row[1]) if row else None

    def referring(self, project: str, target: str) -> list[tuple[str, str]]:
        """(source path, field) of each reference naming project/target, in the order a scan
        of the workspace meets them: by source file, then by field."""
        return self._db.execute(
            "SELECT source, field FROM refs WHERE project = ? AND target = ? "
            "ORDER BY source, position",
            (project, target),
        ).fetchall()

    def references_from(self, sources: Iterable[str]) -> list[tuple[str, str, str]]:
        """(source, project, target) of each reference these record files held."""
        found: list[tuple[str, str, str]] = []
        for source in sources:
            found.extend(
                self._db.execute(
                    "SELECT source, project, target FROM refs WHERE source = ?", (source,)
                ).fetchall()
            )
        return found

    # writing

    def settle(self, paths: list[str], seen_ns: int, racy: dict[str, bytes]) -> None:
        """Record files found unchanged at `seen_ns`, no longer racy (`racy`: those that
        still are); skipped when another command is writing."""
        with contextlib.suppress(sqlite3.Error), self._transaction() as db:
            db.executemany(
                "UPDATE files SET seen_ns = ? WHERE path = ?", ((seen_ns, p) for p in paths)
            )
            db.execute("INSERT OR REPLACE INTO meta VALUES ('racy', ?)", (dumps(racy),))

    def blob(self, object_id: str, language: str) -> tuple[bytes | None, bytes] | None:
        """(data, problems) of a git blob read before, its problems in `language`."""
        row = self._db.execute(
            "SELECT data, problems FROM blobs WHERE id = ? AND language = ?",
            (object_id, language),
        ).fetchone()
        return (row[0], row[1]) if row else None

    # writing

    def save_blobs(
        self, blobs: dict[str, tuple[bytes | None, bytes]], language: str, kept: int
    ) -> bool:
        """Keep what reading these blobs gave, and only the `kept` latest blobs in all: the
        oldest are dropped first (they are read again when needed). False when another
        command holds the index."""
        try:
            with self._transaction() as db:
                db.executemany(
                    "INSERT OR IGNORE INTO blobs VALUES (?, ?, ?, ?)",
                    ((i, language, data, problems) for i, (data, problems) in blobs.items()),
                )
                db.execute(
                    "DELETE FROM blobs WHERE rowid <= (SELECT MAX(rowid) FROM blobs) - ?",
                    (kept,),
                )
        except sqlite3.Error:
            return False
        return True

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write, all or nothing: committed when the block ends, rolled back if it fails."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
            self._db.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")
            raise

    def _holding(self, tables: Iterable[str]) -> set[str]:
        """Those of the tables that hold a row: deleting each written path's rows from an
        empty one costs a first save of 120,000 files a third of a second."""
        return {
            table
            for table in tables
            if self._db.execute(f"SELECT EXISTS (SELECT 1 FROM {table})").fetchone()[0]
        }

    def save(
        self,
        rows: list[FileRow],
        removed: Iterable[str],
        references: list[Reference],
        meta: dict[str, Any],
        columns: dict[str, Iterable[tuple[str, bytes]] | None] | None = None,
        after: str | None = None,
    ) -> bool:
        """Write the rows that changed (with every reference of theirs), drop the files that
        are gone, replace `meta` and the columns of the projects in `columns` (None: dropped),
        in one transaction; False when another command holds it, or saved since the state
        `after` (this run's results are then simply not kept)."""
        removed = list(removed)
        written: list[str] = []
        aside = ColumnsAside(columns or {}, self.path.parent) if len(rows) >= ASIDE_FROM else None

        def values() -> Iterator[tuple[Any, ...]]:
            for r in rows:
                written.append(r.path)
                yield (
                    r.path,
                    r.project,
                    r.record_id,
                    r.size,
                    r.mtime_ns,
                    r.ctime_ns,
                    r.inode,
                    r.seen_ns,
                    r.digest,
                    r.data,
                    r.problems,
                    r.computed,
                    r.issues,
                )

        try:
            with self._transaction() as db:
                if after is not None and self.meta("state") != after:
                    raise sqlite3.OperationalError("another command saved meanwhile")
                db.executemany("DELETE FROM files WHERE path = ?", ((path,) for path in removed))
                held = self._holding(("refs", "keyed", "keys"))  # before a first save: none
                db.executemany(
                    "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    values(),
                )
                if "refs" in held:
                    db.executemany(
                        "DELETE FROM refs WHERE source = ?",
                        ((path,) for path in (*removed, *written)),
                    )
                for table in ("keyed", "keys"):  # derived from the row's state: they go with it
                    if table in held:
                        db.executemany(
                            f"DELETE FROM {table} WHERE path = ?",
                            ((path,) for path in (*removed, *written)),
                        )
                db.executemany(
                    "INSERT INTO refs VALUES (?, ?, ?, ?, ?)",
                    ((r.source, r.position, r.field, r.project, r.target) for r in references),
                )
                for project, blobs in (aside.columns() if aside else columns or {}).items():
                    db.execute("DELETE FROM columns WHERE project = ?", (project,))
                    db.executemany(
                        "INSERT INTO columns VALUES (?, ?, ?)",
                        ((project, name, blob) for name, blob in blobs or ()),
                    )
                db.executemany(
                    "INSERT OR REPLACE INTO meta VALUES (?, ?)",
                    ((key, dumps(value)) for key, value in meta.items()),
                )
        except sqlite3.Error:
            return False
        finally:
            if aside is not None:
                aside.close()
        return True
