"""Whether what the index holds is still what the files say: one stat of every record file,
and one digest of everything else the answers depend on.

A record file's row is trusted when its size, mtime_ns, ctime_ns and inode are those it had
when read — a `git checkout` or a tool restoring an old mtime still changes its ctime — except
when it was modified within `RACY_NS` of being read: like git's racily clean entries, a
same-second rewrite of the same size could keep every stat field, so its content digest is
compared instead. No file is skipped. The configuration (crm.yaml, schemas, automations,
dashboards, which files and folders exist beside the records), the tool's version and the
language of messages go into one fingerprint: when it differs, nothing is reused.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from crmcli import __version__
from crmcli.core.config import WORKSPACE_FILE
from crmcli.core.loader import AUTOMATIONS_FILE, DASHBOARDS_DIR, PROJECT_FILE
from crmcli.core.sources import content_digest
from crmcli.core.yamlio import MAX_RECORD_BYTES
from crmcli.i18n import current_language
from crmcli.index.store import FileRow

RACY_NS = 2_000_000_000  # timestamps of coarse file systems; a same-second rewrite is hashed
_MISSING = (-1, 0, 0, 0)  # a file that vanished, or a symbolic link to nothing

StatKey = tuple[int, int, int, int]  # size, mtime_ns, ctime_ns, inode


def file_digest(path: Path) -> bytes:
    """The digest of a record file's content. The loader refuses a file over the size limit
    or one that is not a regular file (a FIFO) whatever it holds, so such a file is not read:
    its size and type, in the stat, say all that matters."""
    try:
        with os.fdopen(os.open(path, os.O_RDONLY | os.O_NONBLOCK), "rb") as file:
            status = os.fstat(file.fileno())
            if not stat.S_ISREG(status.st_mode) or status.st_size > MAX_RECORD_BYTES:
                return repr((status.st_mode, status.st_size)).encode()
            return content_digest(file.read(MAX_RECORD_BYTES + 1))
    except OSError:
        return b""


@dataclass(slots=True)
class Scan:
    """The workspace as it looks now: record files by path, and the rest's fingerprint."""

    seen_ns: int
    files: dict[str, StatKey] = field(default_factory=dict)
    projects: dict[str, str] = field(default_factory=dict)  # record path → project key
    fingerprint: str = ""


def scan(root: Path) -> Scan:
    found = Scan(time.time_ns())
    hashed = hashlib.blake2b(digest_size=16)
    # problems are stored as messages: in the language of the run that wrote them
    hashed.update(repr((__version__, current_language())).encode())
    top = sorted(_entries(root), key=lambda e: e.name)
    hashed.update(repr([(e.name, e.is_dir()) for e in top if not e.name.startswith(".")]).encode())
    for name in (WORKSPACE_FILE, AUTOMATIONS_FILE):
        _hash_file(hashed, root / name)
    for entry in top:
        if not entry.is_dir() or entry.name.startswith((".", "_")):
            continue
        if entry.name == DASHBOARDS_DIR or not (root / entry.name / PROJECT_FILE).is_file():
            for inner in sorted(_entries(root / entry.name), key=lambda e: e.name):
                hashed.update(repr((entry.name, inner.name, inner.is_dir())).encode())
                if entry.name == DASHBOARDS_DIR and inner.name.endswith(".yaml"):
                    _hash_file(hashed, Path(inner.path))
            continue
        _hash_file(hashed, root / entry.name / PROJECT_FILE)
        _scan_project(found, hashed, root, entry.name)
    found.fingerprint = hashed.hexdigest()
    return found


def _scan_project(found: Scan, hashed: hashlib.blake2b, root: Path, key: str) -> None:
    others = []
    for entry in _entries(root / key):
        name = entry.name
        if entry.is_dir() or name.startswith("_") or not name.endswith(".yaml"):
            others.append((name, entry.is_dir()))
            continue
        try:
            status = entry.stat()
            key_of_file = (status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino)
        except OSError:
            key_of_file = _MISSING
        path = f"{key}/{name}"
        found.files[path] = key_of_file
        found.projects[path] = key
    hashed.update(repr((key, sorted(others))).encode())


def _entries(folder: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as entries:
            return list(entries)
    except OSError:
        return []


def _hash_file(hashed: hashlib.blake2b, path: Path) -> None:
    """A configuration file's bytes (a special file, such as a FIFO, is not read)."""
    try:
        status = path.stat()
        hashed.update(path.name.encode() + b"\0")
        if stat.S_ISREG(status.st_mode):
            hashed.update(path.read_bytes())
        else:
            hashed.update(repr(status.st_mode).encode())
    except OSError:
        hashed.update(b"\0missing\0")


def stat_key(row: FileRow) -> StatKey:
    return (row.size, row.mtime_ns, row.ctime_ns, row.inode)


def is_racy(row: FileRow) -> bool:
    """Whether the file was modified too close to being read for its stat to be trusted."""
    return row.mtime_ns + RACY_NS >= row.seen_ns or row.ctime_ns + RACY_NS >= row.seen_ns


def unchanged(
    root: Path, path: str, now: StatKey, stored: tuple[int, int, int, int, int, bytes]
) -> bool:
    """Whether the stored row of a record file still says what the file holds."""
    size, mtime_ns, ctime_ns, inode, seen_ns, stored_digest = stored
    if now != (size, mtime_ns, ctime_ns, inode) or now == _MISSING:
        return False
    if mtime_ns + RACY_NS < seen_ns and ctime_ns + RACY_NS < seen_ns:  # not racy
        return True
    return file_digest(root / path) == stored_digest


def watched_state(root: Path, paths: Iterable[str]) -> list[tuple[str, bool, str]]:
    """How the documents that `files` fields name look now: their validity is part of what
    `crm check` says of a record, so the index keeps the state it saw."""
    state = []
    for item in sorted(set(paths)):
        target = root / item
        try:
            state.append((item, target.is_file(), os.path.realpath(target)))
        except (OSError, ValueError):  # a NUL or an over-long name: a problem of its record
            state.append((item, False, ""))
    return state
