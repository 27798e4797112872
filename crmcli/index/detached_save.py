"""A large save written after the answer, by a detached child.

A cold `crm check` of 120,000 records has its answer once every field is computed, and then
spends seconds more writing the index: the rows, the columns, the keys. That write is left to
a detached child (`core/forked.detached`), which sees the records as they are here
(copy-on-write): the command prints its answer and ends while the child writes.

The child holds the save's lock (`index.sqlite.saving`, flock) until its last write, and a
command that opens the index meanwhile waits for it (`wait_for_saver`): the command run next
reads what was saved instead of building it again. The save is one SQLite transaction as
before, so a child killed midway leaves the index as it was and the next command rebuilds it.
Where forking is unsafe or not worth it (fewer records than `ASIDE_FROM`, one process, another
thread running), or another command's detached save holds the lock, the save is written here,
before the answer.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

from crmcli.core.file_locks import take
from crmcli.core.forked import detached
from crmcli.core.parse_pool import fork_workers
from crmcli.index.column_child import ASIDE_FROM

SAVER_WAIT_SECONDS = 60.0  # waiting for a detached save to end; after that, SQLite's locks decide


def saver_lock(index: Path) -> Path:
    return index.with_name(index.name + ".saving")


def left_to_child(index: Path, save: Callable[[], None], records: int) -> bool:
    """Whether a detached child took `save` (the writes of a run over `records` records) and
    holds the lock for it; False: the caller saves."""
    if records < ASIDE_FROM or fork_workers() < 2:
        return False
    try:
        handle = saver_lock(index).open("a")
    except OSError:
        return False
    with handle:  # closed here; the child's copy of the descriptor keeps the lock
        return take(handle, timeout=0) and detached(save)


def wait_for_saver(index: Path) -> None:
    """Before opening the index: let a detached save still writing it finish. One stat where
    no save was ever detached."""
    lock = saver_lock(index)
    if lock.exists():
        with contextlib.suppress(OSError), lock.open("a") as handle:
            take(handle, SAVER_WAIT_SECONDS, shared=True)
