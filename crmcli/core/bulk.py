"""Building many objects at once (a project's records from the index or from their files)
without the cyclic garbage collector rescanning them as they are made.

Records are trees of dicts, lists and dates: they never form reference cycles, yet every
700 new containers Python's collector walks the young ones, and every so often all of them.
While a hundred thousand records are built that walk costs as much as building them. So the
collector is paused while they are built, and what was built is then moved out of its sight
(`gc.freeze`): the records live as long as the command, so nothing collectable is lost.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def building_records() -> Iterator[None]:
    """Pause the cyclic collector while records are built, then leave them out of its scans."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()
