"""Keys derived from record files by a package above the index (the duplicates' normalised
e-mails, phones, domains and name words), kept in two tables that go with the file rows:
`keyed` holds each file's keys in one blob, `keys` one row per key for the queries by key.
`IndexStore.save` deletes a row's keys when it rewrites or removes the row."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from crmcli.index.pickles import dumps, loads

KeyRow = tuple[str, str, str]  # kind, field, key: one derived key of a record file


class KeyTables:
    """The derived-key queries of `IndexStore` (which gives the connection and transactions)."""

    _db: sqlite3.Connection

    if TYPE_CHECKING:

        def meta(self, key: str) -> Any: ...

        def snapshot(self) -> contextlib.AbstractContextManager[None]: ...

        def _transaction(self) -> contextlib.AbstractContextManager[sqlite3.Connection]: ...

    @contextlib.contextmanager
    def _at(self, state: str) -> Iterator[bool]:
        """One read transaction: whether the index is still at `state` (what reading saw)."""
        with self.snapshot():
            yield self.meta("state") == state

    def keyed_paths(self, project: str, state: str) -> set[str] | None:
        """The record files of a project whose keys are derived (readable ones: keys are
        derived from a row's data and go with the row); None: the index is no longer at
        `state`. Read from the keys' table alone: the files' table is the index's bulk."""
        with self._at(state) as same:
            if not same:
                return None
            return {
                r[0]
                for r in self._db.execute("SELECT path FROM keyed WHERE project = ?", (project,))
            }

    def derived_keys(
        self, project: str, paths: Iterable[str] | None, state: str
    ) -> dict[str, list[KeyRow]] | None:
        """The keys of these record files of a project (None: of all its keyed ones), by path,
        each file's in one blob (read whole by `crm duplicates`); None: the index is no
        longer at `state`."""
        query = "SELECT path, keys FROM keyed WHERE project = ?"
        with self._at(state) as same:
            if not same:
                return None
            if paths is None:
                rows = self._db.execute(query, (project,)).fetchall()
            else:
                rows = []
                for path in paths:
                    rows.extend(self._db.execute(query + " AND path = ?", (project, path)))
        return {path: loads(keys) for path, keys in rows}

    def shared_keys(self, project: str, kinds: Iterable[str]) -> list[tuple[str, str, str]]:
        """(path, kind, key) of the keys of these kinds that several record files of a
        project hold."""
        kinds = list(kinds)
        return self._db.execute(
            "SELECT k.path, k.kind, k.key FROM keys k JOIN (SELECT kind, key FROM keys "
            f"WHERE project = ? AND kind IN ({', '.join('?' * len(kinds))}) GROUP BY kind, key "
            "HAVING COUNT(DISTINCT path) > 1) USING (kind, key) WHERE k.project = ?",
            (project, *kinds, project),
        ).fetchall()

    def sharing(self, project: str, kind: str, key: str) -> list[tuple[str, str]]:
        """(path, field) of each record file of a project holding this key."""
        return self._db.execute(
            "SELECT path, field FROM keys WHERE project = ? AND kind = ? AND key = ?",
            (project, kind, key),
        ).fetchall()

    def save_keys(self, project: str, keys: dict[str, list[KeyRow]], state: str) -> bool:
        """Keep the keys derived from these record files' rows, if the index is still at
        `state` (the rows they were derived from); False when it is not, or is busy.

        The index cannot derive them: what a key is (a normalised e-mail, a name's words)
        belongs to a package above it, which fills them for the rows that have none. A row
        rewritten or removed by `save` loses its keys in the same transaction, so keys are
        never older than their row; the freshness rules say whether the row is."""
        try:
            with self._transaction() as db:
                if self.meta("state") != state:
                    return False
                db.executemany("DELETE FROM keys WHERE path = ?", ((path,) for path in keys))
                db.executemany(
                    "INSERT OR REPLACE INTO keyed VALUES (?, ?, ?)",
                    ((path, project, dumps(rows)) for path, rows in keys.items()),
                )
                db.executemany(
                    "INSERT INTO keys VALUES (?, ?, ?, ?, ?)",
                    (
                        (path, project, kind, field, key)
                        for path, rows in keys.items()
                        for kind, field, key in rows
                    ),
                )
        except sqlite3.Error:
            return False
        return True
