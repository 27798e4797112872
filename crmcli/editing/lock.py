"""The workspace lock: one writer at a time, across processes; an interrupted write is settled
(rolled forward or back, `editing/journal.py`) as soon as the lock is taken."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from crmcli.core.file_locks import release, take
from crmcli.core.state_dir import state_folder
from crmcli.editing.recovery import Recovery, has_journal, recover
from crmcli.errors import CrmError
from crmcli.i18n import _

LOCK_TIMEOUT_SECONDS = 30.0
READER_WAIT_SECONDS = 5.0  # a writer that left a journal behind is finishing its renames


class LockTimeoutError(CrmError):
    """Another crm command held the lock for longer than the caller would wait."""


@contextmanager
def workspace_lock(root: Path, timeout: float = LOCK_TIMEOUT_SECONDS) -> Iterator[Recovery | None]:
    """Hold `.crm/lock` exclusively; wait up to `timeout` seconds for another writer. Gives what
    was done to an interrupted write found in the journal, if there was one."""
    with (state_folder(root) / "lock").open("a") as handle:
        if not take(handle, timeout):
            raise LockTimeoutError(
                _("another crm command has held the workspace lock for {n} s; try again").format(
                    n=int(timeout)
                )
            )
        try:
            yield recover(root)
        finally:
            release(handle)


def settle_interrupted_write(root: Path) -> Recovery | None:
    """Before any command reads the workspace: if a multi-file write is in the journal, wait
    for its writer (briefly) or finish it, so that nothing reads half of it. One stat when
    there is none."""
    if not has_journal(root):
        return None
    try:
        with workspace_lock(root, READER_WAIT_SECONDS) as recovery:
            return recovery
    except LockTimeoutError:
        raise CrmError(
            _(
                "another crm command is writing several files and has not finished after {n} s; "
                "nothing was read, try again"
            ).format(n=int(READER_WAIT_SECONDS))
        ) from None
