"""Python's cycle collector paused while a command works over a whole workspace in memory.

A dashboard or a `crm remind` over 100,000 records holds millions of objects until it ends,
and the collector walks all of them again each time enough new ones were made: a third of a
dashboard's time went to that, finding nothing. Reference counting still frees whatever is
dropped; only reference cycles wait for the end of the block, and a command makes few.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cycle collection inside the block (as it was after it, also when nested)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
