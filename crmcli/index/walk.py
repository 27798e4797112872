"""The record files of a workspace and their stat keys, as the index's freshness check
(`index/freshness.py`) sees them: what each folder lists, and one stat of every record file.
Standard library only, so that `crm` can start this in a forked child before importing the
rest of itself (`index/early_walk.py`)."""

from __future__ import annotations

import array
import hashlib
import marshal
import os
import stat
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from crmcli.core.layout import DASHBOARDS_DIR, PROJECT_FILE

MISSING = (-1, 0, 0, 0)  # a file that vanished, or a symbolic link to nothing
FOLDER = (-2, 0, 0, 0)  # a folder named like a record file: not one
CHUNK = 2_000  # record files statted as one piece of work
_FEW_OTHERS = 16  # files beside a project's records removed from its listing one by one

Entry = tuple[str, bool]  # a name in a folder, and whether it is a folder


@dataclass(slots=True)
class Layout:
    """What the workspace's folders hold by name: its top level (sorted), its projects (in
    that order), the record files of those listed (in the order the folder gives them) with
    what lies beside them (sorted), and the entries of every other folder (sorted)."""

    top: list[Entry] = field(default_factory=list)
    projects: list[str] = field(default_factory=list)
    records: dict[str, list[str]] = field(default_factory=dict)
    beside: dict[str, list[Entry]] = field(default_factory=dict)
    others: dict[str, list[Entry]] = field(default_factory=dict)

    def dumps(self) -> bytes:
        return marshal.dumps((self.top, self.projects, self.records, self.beside, self.others))

    @classmethod
    def loads(cls, data: bytes) -> Layout:
        return cls(*marshal.loads(data))


def layout(root: Path, only: Collection[str] | None = None) -> Layout:
    """`only`: the projects whose record files are listed (None: all)."""
    found = Layout(top=_entries(root))
    for name, is_dir in found.top:
        if not is_dir or name.startswith((".", "_")):
            continue
        if name == DASHBOARDS_DIR or not (root / name / PROJECT_FILE).is_file():
            found.others[name] = _entries(root / name)
            continue
        found.projects.append(name)
        if only is None or name in only:
            found.records[name], found.beside[name] = _record_names(root, name)
    return found


def _record_names(root: Path, key: str) -> tuple[list[str], list[Entry]]:
    """A project folder's record files (and any folder named like one: the stat tells), and
    everything else in it. Names only (`os.listdir`), since a project of a hundred thousand
    records takes a third longer to list as directory entries."""
    try:
        listed = os.listdir(root / key)  # noqa: PTH208 (names only: the fastest listing)
    except OSError:
        listed = []
    others = [n for n in listed if n[:1] == "_" or not n.endswith(".yaml")]
    if len(others) <= _FEW_OTHERS:  # the schema, a .gitkeep: one pass instead of two
        names = listed
        for other in others:
            names.remove(other)
    else:
        names = [n for n in listed if n[:1] != "_" and n.endswith(".yaml")]
    return names, sorted((n, (root / key / n).is_dir()) for n in others)


def chunks(records: dict[str, list[str]]) -> list[tuple[str, list[str]]]:
    """The record files in pieces of work, in a fixed order (two processes share them)."""
    return [
        (key, names[start : start + CHUNK])
        for key, names in records.items()
        for start in range(0, len(names), CHUNK)
    ]


Stated = tuple[list[int], bytes]  # a piece's stat keys end to end, and their digest


def stat_piece(root: Path, key: str, names: list[str]) -> Stated:
    """A piece's stat keys, and the digest of its names and keys: the index compares a whole
    listing by the digests of its pieces, each made where the piece was statted."""
    keys = stat_chunk(root, key, names)
    hashed = hashlib.blake2b(digest_size=16)
    hashed.update(("\0".join((key, *names)) + "\1").encode("utf-8", "surrogatepass"))
    hashed.update(array.array("q", keys).tobytes())
    return keys, hashed.digest()


def stat_chunk(root: Path, key: str, names: list[str]) -> list[int]:
    """The stat keys (size, mtime_ns, ctime_ns, inode) of a project's files, end to end."""
    keys: list[int] = []
    try:
        folder = os.open(root / key, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return list(MISSING) * len(names)
    try:
        for name in names:
            try:
                status = os.stat(name, dir_fd=folder)
            except OSError:
                keys += MISSING
                continue
            if stat.S_ISDIR(status.st_mode):
                keys += FOLDER
            else:
                keys += (status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino)
    finally:
        os.close(folder)
    return keys


def _entries(folder: Path) -> list[Entry]:
    try:
        with os.scandir(folder) as entries:
            return sorted((entry.name, entry.is_dir()) for entry in entries)
    except OSError:
        return []
