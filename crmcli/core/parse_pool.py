"""Parsing the record files of a large project on every core.

A cold `crm check` of a 100,000-record workspace spends most of its time reading YAML, and
each file is independent of the others, so a pool of forked processes reads and parses chunks
of paths while this process builds the model from the chunks already done. What comes back
must cost less to receive than to parse, and the worker does all it can while it holds the
file: it types the dates (`prepare`, the loader's own step), pickles the data (unpickling
costs this process less than making dates from marshalled text, and the index keeps that very
pickle instead of making another), digests the bytes it read (the index's content digest,
so the file is read once) and, for `crm check`, applies the rules of one record that need no
other record (`Check`: a third of a cold check's work, done on every core). The chunk's data
also comes in one pickle, with the texts, dates and time zones its records share held once
(`core/shared_values.py`: a third less memory here). Small projects (under POOL_FROM files),
sources that are not the working tree, a process with other threads, a single core and
`CRM_PROCESSES=1` are parsed here: starting processes would cost more than it saves, or
forking is unsafe. Editing commands never come here (they read records lazily). Whatever goes
wrong with the pool (no fork, a worker killed) falls back to parsing here.
"""

from __future__ import annotations

import marshal
import os
import pickle
import threading
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from crmcli.core.fast_yaml import NOT_FAST, parse_fast
from crmcli.core.shared_values import shared
from crmcli.core.sources import DiskSource, FileSource, content_digest
from crmcli.core.text_forms import nfc
from crmcli.core.yamlio import DuplicateKey, YamlDocument, YamlReadError, decode_text, parse_slow

POOL_FROM = 2000  # record files in one project
CHUNK = 400  # files a worker parses per task: big enough to amortise the round trip
PROCESSES_VARIABLE = "CRM_PROCESSES"

Prepare = Callable[[Any], None]  # what the loader does to a record's data after parsing
Check = Callable[[str, Any], Any]  # (path, prepared data) → what the rules found, None: nothing

# The check of the pool running now: forked workers inherit it, as it holds the workspace
# read so far, which is not sent with each task.
_check: Check | None = None


@dataclass(frozen=True, slots=True)
class ReadAhead:
    """A file a worker read: its document (prepared), the digest of the bytes it was parsed
    from, and what the check found (None: nothing, or no check)."""

    document: YamlDocument
    digest: bytes
    checked: Any = None


Parsed = ReadAhead | YamlReadError | OSError  # what reading one file gave
Chunks = Generator[dict[str, Parsed], None, None]  # each chunk's files as a worker parsed them


def parse_files(
    source: FileSource,
    relatives: list[str],
    max_bytes: int,
    prepare: Prepare | None = None,
    check: Check | None = None,
) -> dict[str, Parsed]:
    """Each file's document or error, parsed in worker processes (and checked by `check`);
    {} where not worth it (the loader then reads the files itself), and only the files of
    the chunks that came back if the pool broke."""
    ahead = parse_ahead(source, relatives, max_bytes, prepare, check)
    try:
        return {relative: parsed for relative in relatives if (parsed := ahead.pop(relative))}
    finally:
        ahead.close()


class FilesAhead:
    """The files a pool is parsing, each given (`get`, `pop`) as soon as its chunk is back,
    so that the loader builds the records of the first chunks while the workers parse the
    next ones. A file that no chunk brings (not given to the pool, or the pool broke) is
    None: the loader parses it itself. `checked`: what the check found, by file, as received."""

    def __init__(self, relatives: list[str] | None = None, chunks: Chunks | None = None) -> None:
        self._chunks = chunks
        self._waiting = set(relatives or ()) if chunks is not None else set()
        self._ready: dict[str, Parsed] = {}
        self.checked: dict[str, Any] = {}

    def get(self, relative: str) -> Parsed | None:
        while relative in self._waiting and relative not in self._ready and self._next_chunk():
            pass
        return self._ready.get(relative)

    def pop(self, relative: str, default: None = None) -> Parsed | None:
        found = self.get(relative)
        self._ready.pop(relative, None)
        self._waiting.discard(relative)
        return found

    def close(self) -> None:
        """Stop waiting for chunks: the pool is shut down (its last chunk taken or not)."""
        self._waiting.clear()
        if self._chunks is not None:
            self._chunks.close()

    def _next_chunk(self) -> bool:
        chunk = next(self._chunks, None) if self._chunks is not None else None
        if chunk is None:
            self._waiting.clear()
            return False
        self._ready.update(chunk)
        self.checked.update(
            (relative, ready.checked)
            for relative, ready in chunk.items()
            if isinstance(ready, ReadAhead)
        )
        return True


def parse_ahead(
    source: FileSource,
    relatives: list[str],
    max_bytes: int,
    prepare: Prepare | None = None,
    check: Check | None = None,
) -> FilesAhead:
    """The files parsed in worker processes (and checked by `check`), given as they come
    back; none where not worth it. `close()` it once read."""
    workers = fork_workers()
    if len(relatives) < POOL_FROM or workers < 2 or not isinstance(source, DiskSource):
        return FilesAhead()
    chunks = [relatives[i : i + CHUNK] for i in range(0, len(relatives), CHUNK)]
    return FilesAhead(relatives, _parsed_chunks(source, chunks, max_bytes, prepare, check, workers))


def _parsed_chunks(
    source: DiskSource,
    chunks: list[list[str]],
    max_bytes: int,
    prepare: Prepare | None,
    check: Check | None,
    workers: int,
) -> Chunks:
    """Each chunk's files as its worker parsed them, in order; the chunks after the pool broke
    (no fork, a worker killed) never come."""
    global _check
    import multiprocessing  # here: every command imports this module, few start a pool
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    _check = check  # the workers, forked by `map`, inherit it
    try:
        with ProcessPoolExecutor(workers, multiprocessing.get_context("fork")) as pool:
            tasks = pool.map(partial(_parse_chunk, source, max_bytes, prepare), chunks)
            for chunk, answer in zip(chunks, tasks, strict=True):
                yield dict(zip(chunk, _received(answer), strict=True))
    except (OSError, BrokenProcessPool, pickle.PicklingError):
        return
    finally:
        _check = None


def fork_workers() -> int:
    """How many processes may share a job by forking this one (1: do it here)."""
    if not hasattr(os, "fork"):
        return 1  # a spawned worker would import everything again: no faster
    if threading.active_count() > 1:
        return 1  # forking while another thread holds a lock can hang the child (a server)
    chosen = os.environ.get(PROCESSES_VARIABLE, "")
    if chosen.isdigit():
        return max(1, int(chosen))
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


# in the worker


def _parse_chunk(
    source: DiskSource, max_bytes: int, prepare: Prepare | None, relatives: list[str]
) -> bytes:
    """The chunk's files as marshal can carry them; checked once all are parsed (checking
    each file as it is parsed costs half as much again: the two share no cache)."""
    seen: dict[Any, Any] = {}  # the values the chunk's records share (core/shared_values.py)
    parsed = [_parse_one(source, relative, max_bytes, prepare, seen) for relative in relatives]
    answers = [
        (*answer, _checked(relative, data)) if answer[0] == "read" else answer
        for relative, (answer, data) in zip(relatives, parsed, strict=True)
    ]
    datas = [data for answer, data in parsed if answer[0] == "read"]
    return marshal.dumps((answers, pickle.dumps(datas, protocol=pickle.HIGHEST_PROTOCOL)))


def _parse_one(
    source: DiskSource,
    relative: str,
    max_bytes: int,
    prepare: Prepare | None,
    seen: dict[Any, Any],
) -> tuple[tuple[Any, ...], Any]:
    """One file as marshal can carry it, and its data: ("read", duplicate keys, digest),
    ("error", code, message, line, column) or ("unreadable", text). Its data goes with the
    chunk's others, in one pickle; the index's row of it is pickled when it is saved."""
    try:
        content = source.read_bytes(relative, max_bytes)
        text = nfc(decode_text(content))
        data = parse_fast(text, seen)
        duplicates: list[tuple[Any, int, int]] = []
        if data is NOT_FAST:
            document = parse_slow(text)
            data = shared(document.data, seen)
            duplicates = [(d.key, d.line, d.column) for d in document.duplicates]
    except YamlReadError as error:
        return ("error", error.code, str(error.message), error.line, error.column), None
    except OSError as error:
        return ("unreadable", str(error.strerror or error)), None
    if prepare is not None and isinstance(data, dict):
        prepare(data)
    found = pickle.dumps(duplicates) if duplicates else b""  # a key may be a date
    return ("read", found, content_digest(content)), data


def _checked(relative: str, data: Any) -> bytes:
    """What the check found of one record, pickled; b"" for nothing (or no check)."""
    checked = _check(relative, data) if _check is not None and isinstance(data, dict) else None
    return b"" if checked is None else pickle.dumps(checked, protocol=pickle.HIGHEST_PROTOCOL)


# back in the loader's process


def _received(answer: bytes) -> Iterator[Parsed]:
    """The chunk's answers; the data of the files read come in one pickle, which keeps what
    they share."""
    answers, pickled_datas = marshal.loads(answer)
    datas = iter(pickle.loads(pickled_datas))
    for kind, *fields in answers:
        if kind == "read":
            duplicates, digest, issues = fields
            found = [DuplicateKey(*d) for d in pickle.loads(duplicates)] if duplicates else []
            checked = pickle.loads(issues) if issues else None
            yield ReadAhead(YamlDocument(next(datas), found), digest, checked)
        elif kind == "error":
            yield YamlReadError(*fields)
        else:
            yield OSError(0, fields[0])
