"""The workspace lock: one writer at a time, across processes."""

from __future__ import annotations

import fcntl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from crmcli.core.loader import state_folder
from crmcli.errors import CrmError
from crmcli.i18n import _

LOCK_TIMEOUT_SECONDS = 30.0


@contextmanager
def workspace_lock(root: Path, timeout: float = LOCK_TIMEOUT_SECONDS) -> Iterator[None]:
    """Hold `.crm/lock` exclusively; wait up to `timeout` seconds for another writer."""
    state = state_folder(root)
    state.mkdir(exist_ok=True)
    with (state / "lock").open("a") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise CrmError(
                        _(
                            "another crm command has held the workspace lock for {n} s; try again"
                        ).format(n=int(timeout))
                    ) from None
                time.sleep(0.02)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
