"""Where the loader reads files from: a protocol every source answers, and the working tree.

Git revisions answer the same few questions (list a folder, is this a file, give its bytes):
see `crmcli.git.sources`.
"""

from __future__ import annotations

import errno
import hashlib
import os
from pathlib import Path
from typing import NamedTuple, Protocol

from crmcli.core.yamlio import YamlReadError, read_regular, special_file_reason
from crmcli.i18n import _


def content_digest(content: bytes) -> bytes:
    """The digest of a file's bytes by which the index knows a record file it read (BLAKE2b:
    fast, and 16 bytes tell contents apart)."""
    return hashlib.blake2b(content, digest_size=16).digest()


class Entry(NamedTuple):  # a tuple: folders of 100,000 records are listed often
    name: str
    is_dir: bool
    special: str = ""  # why crm does not read it (a linked folder, a FIFO…); "" for a plain one


class FileSource(Protocol):
    """Read-only access to the files of a workspace, by path relative to its root."""

    label: str

    def read_bytes(self, relative: str, max_bytes: int) -> bytes: ...

    def is_file(self, relative: str) -> bool: ...

    def is_dir(self, relative: str) -> bool: ...

    def list_dir(self, relative: str) -> list[Entry]: ...


class DiskSource:
    """The working tree. Only regular files inside the workspace are read: a symbolic link is
    followed only where it stays inside, a FIFO, device or socket is refused (read_regular),
    and a linked folder is listed as special, so no project is read from elsewhere."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.label = str(root)  # what the user is told it is (`crm diff` says "working tree")
        self._folder = str(root)

    def read_bytes(self, relative: str, max_bytes: int) -> bytes:
        try:  # a text path: a cold check reads 120,000 files, a Path for each costs more
            return read_regular(f"{self._folder}/{relative}", max_bytes, follow=False)
        except OSError as error:
            if error.errno != errno.ELOOP:  # ELOOP: the file is a symbolic link
                raise
        path = self.root / relative
        refuse_outside(self.root, path)
        return read_regular(path, max_bytes)

    def is_file(self, relative: str) -> bool:
        return (self.root / relative).is_file()

    def is_dir(self, relative: str) -> bool:
        return (self.root / relative).is_dir()

    def list_dir(self, relative: str) -> list[Entry]:
        try:
            with os.scandir(self.root / relative) as entries:
                return [_entry(e) for e in entries]
        except (FileNotFoundError, NotADirectoryError):
            return []


def _entry(found: os.DirEntry[str]) -> Entry:
    """A plain file or folder costs no system call (the folder listing says what it is)."""
    if found.is_symlink():
        if found.is_dir():
            return Entry(found.name, True, _linked_folder())
        return Entry(found.name, False)  # read_bytes judges where it leads
    if found.is_dir() or found.is_file():
        return Entry(found.name, found.is_dir())
    return Entry(found.name, False, special_file_reason(found.stat(follow_symlinks=False).st_mode))


def _linked_folder() -> str:
    return _(
        "this folder is a symbolic link; crm reads no project through a link (put the folder "
        "itself here)"
    )


def refuse_outside(root: Path, path: Path) -> None:
    """YamlReadError for a path that resolves outside the workspace (a symbolic link out)."""
    target = path.resolve()
    if not target.is_relative_to(root.resolve()):
        raise YamlReadError(
            "link-outside",
            _(
                "this is a symbolic link to {target}, outside the workspace; crm neither reads "
                "nor writes through it"
            ).format(target=target),
            1,
            1,
        )
