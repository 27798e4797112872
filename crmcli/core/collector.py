"""The cyclic garbage collector paused while a whole workspace is read or computed.

Reading 100,000 records makes millions of small dicts, lists and strings and no reference
cycles among them, yet the collector would walk the growing heap again and again (a third
of the main process's time in a cold `crm check`), and walk it all once more after the
reading. So it pauses, and what was made meanwhile is then frozen (`gc.freeze`: kept out of
later collections; reference counting still frees whatever is dropped). The next pause first
gives frozen objects back to the oldest generation, so a process that reads a workspace
again and again (the form server) still collects the few cycles of the reading before.
And when a command is done, everything is frozen: the collection the interpreter runs as it
ends would walk the whole heap (60 ms after a `crm show` on 120,000 records) only to free
memory the process is about to give back.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """The collector off inside the block, and what it made frozen (nested blocks: no-op)."""
    if not gc.isenabled():
        yield
        return
    gc.unfreeze()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def spare_the_last_collection() -> None:
    """Freeze everything there is, as the command ends (the interpreter's own last step)."""
    gc.freeze()
