"""The freshness check's walk, started with the command: `crm` forks a child before importing
the rest of itself (a tenth of a second), and the child lists the workspace and stats its
record files from the first piece on. When the command reaches its freshness check
(`freshness.scan`), it takes the child's listing and stats pieces from the last one back,
until the two meet; the child sends the keys of the pieces it did. So the listing and most of
the stat are done while the command is still loading, on the other core.

The two claim pieces through two counters in shared memory, each writing only its own: the
child the next piece it takes, the command the lowest it took. Reading a counter late only
makes both stat one piece, never neither. The listing and the keys come through a memory file
(they are megabytes: a pipe would stop the child until the command reads), and a pipe says
where they are. The walk's time is the child's start: a file changed after it is racy, so its
content is compared. Whatever goes wrong (no fork, the child killed, another workspace) leaves
the command to walk by itself. Standard library only: this runs before anything is imported.
"""

from __future__ import annotations

import atexit
import contextlib
import marshal
import mmap
import os
import signal
import struct
import time
from dataclasses import dataclass
from pathlib import Path

from crmcli.index.walk import Layout, Stated, chunks, layout, stat_piece

_NOTE = struct.Struct("qq")  # where in the memory file: offset, size
_COUNTERS = struct.Struct("ii")  # the child's next piece, the command's lowest piece


@dataclass(slots=True)
class _Walk:
    root: Path
    seen_ns: int
    pid: int
    notes: int  # the pipe's end this process reads
    data: int  # the memory file
    counters: mmap.mmap
    owner: int  # the process that started it (a forked worker must not touch it)

    def note(self) -> tuple[int, int] | None:
        """Where the child's next answer is; None if it stopped before giving it."""
        wanted, got = _NOTE.size, b""
        while len(got) < wanted:
            try:
                part = os.read(self.notes, wanted - len(got))
            except OSError:
                return None
            if not part:
                return None
            got += part
        offset, size = _NOTE.unpack(got)
        return offset, size

    def read(self, offset: int, size: int) -> bytes:
        return os.pread(self.data, size, offset)

    def child_next(self) -> int:
        return _COUNTERS.unpack_from(self.counters)[0]

    def claim(self, piece: int) -> None:
        struct.pack_into("i", self.counters, 4, piece)

    def stop(self, kill: bool = False) -> None:
        if os.getpid() != self.owner:
            return
        if kill:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            os.waitpid(self.pid, 0)
        for fd in (self.notes, self.data):
            with contextlib.suppress(OSError):
                os.close(fd)
        self.counters.close()


_started: _Walk | None = None


def start(root: Path) -> None:
    """Fork the child that walks `root` (nothing if this system cannot)."""
    global _started
    if _started is not None or not hasattr(os, "fork") or not hasattr(os, "memfd_create"):
        return
    seen_ns = time.time_ns()
    try:
        data = os.memfd_create("crm-walk")
        counters = mmap.mmap(-1, _COUNTERS.size)
        readable, writable = os.pipe()
    except OSError:
        return
    try:
        pid = os.fork()
    except OSError:
        for fd in (data, readable, writable):
            os.close(fd)
        counters.close()
        return
    if pid == 0:
        code = 1
        try:
            os.close(readable)
            _quiet()
            _walk(root, data, writable, counters)
            code = 0
        finally:
            os._exit(code)
    os.close(writable)
    _started = _Walk(root, seen_ns, pid, readable, data, counters, os.getpid())
    atexit.register(_stop_unused)


def _quiet() -> None:
    """The child holds none of the command's standard streams: a reader of the command's
    output must not wait for it."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)


def _walk(root: Path, data: int, notes: int, counters: mmap.mmap) -> None:
    found = layout(root)
    listing = found.dumps()
    _write(data, listing)
    pieces = chunks(found.records)
    _COUNTERS.pack_into(counters, 0, 0, len(pieces))
    os.write(notes, _NOTE.pack(0, len(listing)))
    done: list[Stated] = []
    while len(done) < _COUNTERS.unpack_from(counters)[1]:
        struct.pack_into("i", counters, 0, len(done) + 1)
        done.append(stat_piece(root, *pieces[len(done)]))
    keys = marshal.dumps(done)
    _write(data, keys)
    os.write(notes, _NOTE.pack(len(listing), len(keys)))


def _write(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _stop_unused() -> None:
    global _started
    if _started is not None:
        _started.stop(kill=True)
        _started = None


@dataclass(slots=True)
class Taken:
    """The child's listing, taken by the command's freshness check."""

    walk: _Walk
    layout: Layout

    @property
    def seen_ns(self) -> int:
        return self.walk.seen_ns

    def stat_pieces(self, pieces: list[tuple[str, list[str]]]) -> list[Stated] | None:
        """The keys of `chunks(layout.records)`: this process stats from the last piece
        back until it meets the child; None if the child failed (the caller stats)."""
        walk = self.walk
        mine: dict[int, Stated] = {}
        lowest = len(pieces)
        while lowest - 1 >= walk.child_next():
            lowest -= 1
            walk.claim(lowest)
            mine[lowest] = stat_piece(walk.root, *pieces[lowest])
        note = walk.note()
        try:
            theirs = marshal.loads(walk.read(*note)) if note is not None else None
        except (EOFError, ValueError, TypeError, OSError):
            theirs = None
        walk.stop()
        if not isinstance(theirs, list) or len(theirs) < lowest:
            return None
        return [*theirs[:lowest], *(mine[piece] for piece in range(lowest, len(pieces)))]


def taken(root: Path) -> Taken | None:
    """The walk started with the command, if it walked `root` and gave its listing."""
    global _started
    walk, _started = _started, None
    if walk is None or walk.owner != os.getpid():
        return None
    note = walk.note() if walk.root == root else None
    try:
        found = Layout.loads(walk.read(*note)) if note is not None else None
    except (EOFError, ValueError, TypeError, OSError):
        found = None
    if found is None:
        walk.stop(kill=True)
        return None
    return Taken(walk, found)
