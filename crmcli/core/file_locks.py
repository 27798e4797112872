"""Advisory locks on files in `.crm/` (flock), taken with a deadline: the workspace lock of the
editing commands, and the lock a detached index save holds until its last write."""

from __future__ import annotations

import fcntl
import time
from typing import IO

_POLL_SECONDS = 0.02


def take(handle: IO[str], timeout: float, shared: bool = False) -> bool:
    """Lock `handle` (exclusively, or `shared` with other readers), waiting up to `timeout`
    seconds for whoever holds it; False if it is still held then. The lock lasts until it is
    released or every copy of the descriptor is closed, a forked child's included."""
    operation = (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(handle, operation)
            return True
        except BlockingIOError:
            if time.monotonic() > deadline:
                return False
            time.sleep(_POLL_SECONDS)


def release(handle: IO[str]) -> None:
    fcntl.flock(handle, fcntl.LOCK_UN)
