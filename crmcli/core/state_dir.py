"""`.crm/`: the workspace's local state (lock, journal, index, automations), never committed.

The folder holds its own `.gitignore` with `*`, so a workspace without a `.gitignore` of its own
never commits it. Every module that writes there asks for the folder here, and a `.crm` that is
a symbolic link leading out of the workspace, or not a folder, is refused: nothing is ever
written elsewhere through it.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from crmcli.errors import CrmError
from crmcli.i18n import _

STATE_DIR = ".crm"
_IGNORE_ALL = "*\n"


def check_state_folder(root: Path) -> Path:
    """`root/.crm`, without creating it; CrmError when it cannot safely hold crm's state."""
    folder = root / STATE_DIR
    if folder.is_symlink() and not folder.resolve().is_relative_to(root.resolve()):
        raise CrmError(
            _(
                "{folder} is a symbolic link to {target}, outside the workspace; crm keeps its "
                "state only inside (remove the link)"
            ).format(folder=folder, target=folder.resolve())
        )
    if folder.exists() and not folder.is_dir():
        raise CrmError(
            _("{folder} is not a folder; crm keeps its state there (remove it)").format(
                folder=folder
            )
        )
    return folder


def state_folder(root: Path) -> Path:
    """`root/.crm`, checked, and created with its `.gitignore` if missing."""
    folder = check_state_folder(root)
    folder.mkdir(exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        with (
            contextlib.suppress(FileExistsError),  # another command wrote it first
            ignore.open("x", encoding="utf-8") as file,
        ):
            file.write(_IGNORE_ALL)
    return folder
