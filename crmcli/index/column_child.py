"""The columns of a save pickled by a forked child while this process writes the rows.

The first save of a large workspace (a cold `crm check`) pickles every project's columns
(`index/columns.py`): a third of the save, and nothing the rows need. So a child forked from
this process (which sees the records as they are here, copy-on-write) pickles them into an
unnamed file next to the index while this process writes the rows, and the save then reads
them back, one at a time. Where forking is unsafe or not worth it (`fork_workers`), or the
child fails, the columns are pickled here as before; the child never touches the database.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from crmcli.core.parse_pool import fork_workers

Columns = dict[str, Iterable[tuple[str, bytes]] | None]  # by project; None: dropped
ASIDE_FROM = 2000  # rows written by the save at least: below, forking costs more than it saves


class ColumnsAside:
    """Columns being pickled by a child: `columns()` gives them, as they would be here."""

    def __init__(self, columns: Columns, folder: Path) -> None:
        self._columns = columns
        self._file: IO[bytes] | None = None
        self._child = 0
        if fork_workers() < 2 or not any(blobs is not None for blobs in columns.values()):
            return
        self._file = tempfile.TemporaryFile(dir=folder)  # noqa: SIM115 (closed by close())
        try:
            self._child = os.fork()
        except OSError:
            self._child = 0
            return
        if self._child == 0:
            _pickle_in_child(columns, self._file)

    def close(self) -> None:
        """Stop a child whose columns were not asked for (the save failed); drop its file."""
        if self._child:
            os.kill(self._child, signal.SIGKILL)
            os.waitpid(self._child, 0)
            self._child = 0
        if self._file is not None:
            self._file.close()

    def columns(self) -> Columns:
        """The columns, read from the child's file once it is done; pickled here if it
        failed (or never started)."""
        file, child, self._child = self._file, self._child, 0
        if file is None or child == 0:
            return self._columns
        _pid, status = os.waitpid(child, 0)
        if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
            return self._columns
        file.seek(0)
        return {
            project: None if blobs is None else _read(file)
            for project, blobs in self._columns.items()
        }


def _pickle_in_child(columns: Columns, file: IO[bytes]) -> None:
    """Each rebuilt project's (name, blob) pairs, then (None, None), in the columns' order; the child
    leaves with its status, never through the parent's cleanup (the database stays closed)."""
    status = 1
    try:
        gc.disable()  # a collection would touch, and so copy, every page of the parent's
        for blobs in columns.values():
            if blobs is not None:
                for pair in blobs:
                    pickle.dump(pair, file, protocol=pickle.HIGHEST_PROTOCOL)
                pickle.dump((None, None), file)
        file.flush()
        status = 0
    finally:
        os._exit(status)


def _read(file: IO[bytes]) -> Iterator[tuple[str, bytes]]:
    """One project's pairs, read when the save asks for them (the projects in order)."""
    while True:
        name, blob = pickle.load(file)
        if name is None:
            return
        yield name, blob
