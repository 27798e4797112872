"""`.crm/`: the workspace's local state (lock, index, journal), never committed.

The folder holds its own `.gitignore` with `*`, so a workspace without a `.gitignore` of its own
never commits it. Every module that writes there asks for the folder here.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from crmcli.core.loader import STATE_DIR

_IGNORE_ALL = "*\n"


def ensure_state_dir(root: Path) -> Path:
    """`root/.crm`, created with its `.gitignore` if missing; the folder's path."""
    folder = root / STATE_DIR
    folder.mkdir(exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        with (
            contextlib.suppress(FileExistsError),  # another command wrote it first
            ignore.open("x", encoding="utf-8") as file,
        ):
            file.write(_IGNORE_ALL)
    return folder
