"""Where the loader reads files from: a protocol every source answers, and the working tree.

Git revisions answer the same few questions (list a folder, is this a file, give its bytes):
see `crmcli.git.sources`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple, Protocol

from crmcli.core.yamlio import refuse_large


class Entry(NamedTuple):  # a tuple: folders of 100,000 records are listed often
    name: str
    is_dir: bool


class FileSource(Protocol):
    """Read-only access to the files of a workspace, by path relative to its root."""

    label: str

    def read_bytes(self, relative: str, max_bytes: int) -> bytes: ...

    def is_file(self, relative: str) -> bool: ...

    def is_dir(self, relative: str) -> bool: ...

    def list_dir(self, relative: str) -> list[Entry]: ...


class DiskSource:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.label = str(root)

    def read_bytes(self, relative: str, max_bytes: int) -> bytes:
        path = self.root / relative
        refuse_large(path.stat().st_size, max_bytes)
        return path.read_bytes()

    def is_file(self, relative: str) -> bool:
        return (self.root / relative).is_file()

    def is_dir(self, relative: str) -> bool:
        return (self.root / relative).is_dir()

    def list_dir(self, relative: str) -> list[Entry]:
        try:
            with os.scandir(self.root / relative) as entries:
                return [Entry(e.name, e.is_dir()) for e in entries]
        except (FileNotFoundError, NotADirectoryError):
            return []
