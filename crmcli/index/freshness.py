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
import marshal
import os
import stat
import time
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from crmcli import __version__
from crmcli.core.forked import started
from crmcli.core.layout import AUTOMATIONS_FILE, DASHBOARDS_DIR, PROJECT_FILE, WORKSPACE_FILE
from crmcli.core.parse_pool import fork_workers
from crmcli.core.sources import content_digest
from crmcli.core.yamlio import MAX_RECORD_BYTES
from crmcli.i18n import current_language
from crmcli.index import early_walk
from crmcli.index.early_walk import Taken
from crmcli.index.store import FileRow
from crmcli.index.walk import FOLDER, MISSING, Layout, Stated, chunks, layout, stat_piece

RACY_NS = 2_000_000_000  # timestamps of coarse file systems; a same-second rewrite is hashed

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


Listing = tuple[tuple[str, ...], tuple[int, ...]]  # file names, and their stat keys end to end
_PARALLEL_FROM = 8_000  # record files; below this, forking costs more than it saves


@dataclass(slots=True)
class Scan:
    """The workspace as it looks now: each project's record files with their stat keys, in
    the order the folder lists them (statted in pieces), and the rest's fingerprint."""

    seen_ns: int
    fingerprint: str = ""
    projects: list[str] = field(default_factory=list)  # those whose record files are listed
    pieces: list[tuple[str, list[str]]] = field(default_factory=list)
    stated: list[Stated] = field(default_factory=list)  # each piece's keys and digest
    _listing: dict[str, Listing] | None = None
    _files: dict[str, StatKey] | None = None
    _digest: bytes | None = None

    @property
    def digest(self) -> bytes:
        """The listing's digest, from its pieces' (each made where the piece was statted):
        kept with it by the index, so that the next run compares sixteen bytes instead of
        reading back a hundred thousand names and stats."""
        if self._digest is None:
            self._digest = hashlib.blake2b(
                b"".join(digest for _keys, digest in self.stated), digest_size=16
            ).digest()
        return self._digest

    @property
    def listing(self) -> dict[str, Listing]:
        """Project → its record files' names and stat keys end to end, folders named like
        record files left out (built on first use: an unchanged workspace never needs it)."""
        if self._listing is None:
            names: dict[str, list[str]] = {key: [] for key in self.projects}
            keys: dict[str, list[int]] = {key: [] for key in self.projects}
            for (key, piece), (piece_keys, _digest) in zip(self.pieces, self.stated, strict=True):
                if FOLDER[0] in piece_keys[0::4]:  # rare: a folder named like a record file
                    kept = [i for i in range(len(piece)) if piece_keys[4 * i] != FOLDER[0]]
                    piece = [piece[i] for i in kept]
                    piece_keys = [k for i in kept for k in piece_keys[4 * i : 4 * i + 4]]
                names[key] += piece
                keys[key] += piece_keys
            self._listing = {key: (tuple(names[key]), tuple(keys[key])) for key in self.projects}
        return self._listing

    @property
    def files(self) -> dict[str, StatKey]:
        """Record path → stat key (built on first use: an unchanged workspace never needs it)."""
        if self._files is None:
            self._files = {}
            for key, (names, keys) in self.listing.items():
                stats = zip(keys[0::4], keys[1::4], keys[2::4], keys[3::4], strict=True)
                self._files.update(zip([f"{key}/{name}" for name in names], stats, strict=True))
        return self._files

    def named_like_records(self) -> list[str]:
        """The folders named like record files (not records), which the fingerprint holds."""
        return sorted(
            f"{key}/{piece[i]}"
            for (key, piece), (piece_keys, _digest) in zip(self.pieces, self.stated, strict=True)
            if FOLDER[0] in piece_keys[0::4]
            for i in range(len(piece))
            if piece_keys[4 * i] == FOLDER[0]
        )


def scan(
    root: Path, only: Collection[str] | None = None, stat_only: Collection[str] | None = None
) -> Scan:
    """`only`: the projects whose record files are listed (the form server watches those it
    serves); every configuration file is in the fingerprint all the same, but not what lies
    beside their records (a write's temporary file would look like a new configuration).
    `stat_only`: the fingerprint of the whole workspace, the record files of these projects
    only in the listing (a command about one project's new records). A whole scan takes what
    the walk started with the command found (`early_walk`), when there is one."""
    early = early_walk.taken(root) if only is None and stat_only is None else None
    found = Scan(early.seen_ns if early is not None else time.time_ns())
    folders = early.layout if early is not None else layout(root, only)
    records = folders.records
    if stat_only is not None:
        records = {key: names for key, names in records.items() if key in stat_only}
    found.projects, found.pieces = list(records), chunks(records)
    found.stated = _stat_pieces(root, found.pieces, sum(map(len, records.values())), early)
    found.fingerprint = _fingerprint(root, folders, only is None, found.named_like_records())
    return found


def _fingerprint(root: Path, folders: Layout, beside: bool, named_like_records: list[str]) -> str:
    """Everything but the record files: the tool, the language of messages (problems are
    stored as messages), what lies in and beside the projects, and the configuration files."""
    hashed = hashlib.blake2b(digest_size=16)
    hashed.update(repr((__version__, current_language())).encode())
    hashed.update(repr([entry for entry in folders.top if not entry[0].startswith(".")]).encode())
    for name in (WORKSPACE_FILE, AUTOMATIONS_FILE):
        _hash_file(hashed, root / name)
    for name, is_dir in folders.top:
        if not is_dir or name.startswith((".", "_")):
            continue
        if name in folders.others:
            for inner, inner_is_dir in folders.others[name]:
                hashed.update(repr((name, inner, inner_is_dir)).encode())
                if name == DASHBOARDS_DIR and inner.endswith(".yaml"):
                    _hash_file(hashed, root / name / inner)
            continue
        _hash_file(hashed, root / name / PROJECT_FILE)
        if beside and name in folders.beside:
            hashed.update(repr((name, folders.beside[name])).encode())
    hashed.update(repr(named_like_records).encode())
    return hashed.hexdigest()


def _stat_pieces(
    root: Path, pieces: list[tuple[str, list[str]]], total: int, early: Taken | None
) -> list[Stated]:
    """Each piece's stat keys and digest: shared with the walk started with the command,
    else on a large workspace half of them made by a forked child (threads would not help:
    building each stat result holds the interpreter's lock)."""
    stated = early.stat_pieces(pieces) if early is not None else None
    if stated is None and total >= _PARALLEL_FROM and fork_workers() >= 2:
        stated = _stat_shared(root, pieces)
    return stated if stated is not None else [stat_piece(root, *piece) for piece in pieces]


def _stat_shared(root: Path, pieces: list[tuple[str, list[str]]]) -> list[Stated] | None:
    """The pieces' stat keys and digests, the odd ones from a forked child; None if that
    failed."""
    child = started(lambda: marshal.dumps([stat_piece(root, *piece) for piece in pieces[1::2]]))
    if child is None:
        return None
    mine = [stat_piece(root, *piece) for piece in pieces[0::2]]
    answer = child.result()
    try:
        theirs = marshal.loads(answer) if answer is not None else None
    except (EOFError, ValueError, TypeError):
        theirs = None
    if not isinstance(theirs, list) or len(theirs) != len(pieces[1::2]):
        return None
    stated: list[Stated] = []
    for index, part in enumerate(mine):
        stated.append(part)
        if index < len(theirs):
            stated.append(tuple(theirs[index]))
    return stated


def stat_of(file: Path | os.DirEntry[str]) -> StatKey:
    try:
        status = file.stat()
    except OSError:
        return MISSING
    return (status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino)


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


def settled(key: StatKey, seen_ns: int) -> bool:
    """Whether a racy file whose content was just found unchanged can be trusted by its stat
    from now on: its last change is long enough before this scan (git refreshes its racily
    clean entries the same way), so a row seen at `seen_ns` is no longer racy."""
    _size, mtime_ns, ctime_ns, _inode = key
    return mtime_ns + RACY_NS < seen_ns and ctime_ns + RACY_NS < seen_ns


def unchanged(
    root: Path, path: str, now: StatKey, stored: tuple[int, int, int, int, int, bytes]
) -> bool:
    """Whether the stored row of a record file still says what the file holds (one row at a
    time: `index/changes.py` decides for a whole workspace from the saved listing)."""
    size, mtime_ns, ctime_ns, inode, seen_ns, stored_digest = stored
    if now != (size, mtime_ns, ctime_ns, inode) or now == MISSING:
        return False
    if mtime_ns + RACY_NS < seen_ns and ctime_ns + RACY_NS < seen_ns:  # not racy
        return True
    return file_digest(root / path) == stored_digest


def watched_state(root: Path, paths: Iterable[str]) -> list[tuple[str, bool, str]]:
    """How the documents that `files` fields name look now: their validity is part of what
    `crm check` says of a record, so the index keeps the state it saw."""
    folders: dict[str, str] = {}  # each folder resolved once: documents share a few
    state = []
    for item in sorted(set(paths)):
        try:
            state.append((item, *_document_state(root, item, folders)))
        except (OSError, ValueError):  # a NUL or an over-long name: a problem of its record
            state.append((item, False, ""))
    return state


def _document_state(root: Path, item: str, folders: dict[str, str]) -> tuple[bool, str]:
    """Whether the document is a file, and where it really is (`os.path.realpath`): one
    `lstat` for a plain file, as thousands are asked at every run."""
    folder, _slash, name = item.rpartition("/")
    if name in ("", ".", "..") or item.startswith("/"):
        return (root / item).is_file(), os.path.realpath(root / item)
    try:
        mode: int | None = os.lstat(f"{root}/{item}").st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and stat.S_ISLNK(mode):
        return (root / item).is_file(), os.path.realpath(root / item)
    if folder not in folders:
        folders[folder] = os.path.realpath(root / folder)
    return mode is not None and stat.S_ISREG(mode), f"{folders[folder]}/{name}"
