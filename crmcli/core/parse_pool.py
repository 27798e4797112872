"""Parsing the record files of a large project on every core.

A cold `crm check` of a 100,000-record workspace spends most of its time reading YAML, and
each file is independent of the others, so a pool of forked processes reads and parses chunks
of paths while this process builds the model from the chunks already done. What comes back
must cost less to receive than to parse: a worker sends its chunk marshalled (plain values,
dates still as text with their places, `fast_yaml.parse_plain`), and only the few files that
needed PyYAML travel pickled. Small projects (under POOL_FROM files), sources that are not
the working tree, a process with other threads, a single core and `CRM_PROCESSES=1` are
parsed here: starting processes would cost more than it saves, or forking is unsafe. Editing
commands never come here (they read records lazily). Whatever goes wrong with the pool (no
fork, a worker killed) falls back to parsing here.
"""

from __future__ import annotations

import marshal
import multiprocessing
import os
import pickle
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from typing import Any

from crmcli.core.fast_yaml import NOT_FAST, parse_plain, with_dates
from crmcli.core.sources import DiskSource, FileSource
from crmcli.core.text_forms import nfc
from crmcli.core.yamlio import DuplicateKey, YamlDocument, YamlReadError, decode_text, parse_slow

POOL_FROM = 2000  # record files in one project
CHUNK = 400  # files a worker parses per task: big enough to amortise the round trip
PROCESSES_VARIABLE = "CRM_PROCESSES"

Parsed = YamlDocument | YamlReadError | OSError  # what reading one file gave


def parse_files(source: FileSource, relatives: list[str], max_bytes: int) -> dict[str, Parsed]:
    """Each file's document or error, parsed in worker processes; {} where not worth it
    (the loader then reads the files itself)."""
    workers = _workers()
    if len(relatives) < POOL_FROM or workers < 2 or not isinstance(source, DiskSource):
        return {}
    if "fork" not in multiprocessing.get_all_start_methods():
        return {}  # a spawned worker would import everything again: no faster
    if threading.active_count() > 1:
        return {}  # forking while another thread holds a lock can hang the child (a server)
    chunks = [relatives[i : i + CHUNK] for i in range(0, len(relatives), CHUNK)]
    parsed: dict[str, Parsed] = {}
    try:
        with ProcessPoolExecutor(workers, multiprocessing.get_context("fork")) as pool:
            tasks = pool.map(partial(_parse_chunk, source, max_bytes), chunks)
            for chunk, answer in zip(chunks, tasks, strict=True):
                parsed.update(zip(chunk, _received(answer), strict=True))
    except (OSError, BrokenProcessPool, pickle.PicklingError):
        return {}
    return parsed


def _workers() -> int:
    chosen = os.environ.get(PROCESSES_VARIABLE, "")
    if chosen.isdigit():
        return int(chosen)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


# in the worker


def _parse_chunk(source: DiskSource, max_bytes: int, relatives: list[str]) -> bytes:
    return marshal.dumps([_parse_one(source, relative, max_bytes) for relative in relatives])


def _parse_one(source: DiskSource, relative: str, max_bytes: int) -> tuple[Any, ...]:
    """One file as marshal can carry it: ("plain", data, places), ("pickled", bytes) for a
    document PyYAML read, ("error", code, message, line, column) or ("unreadable", text)."""
    try:
        text = nfc(decode_text(source.read_bytes(relative, max_bytes)))
        plain = parse_plain(text)
        if plain is not NOT_FAST:
            return ("plain", *plain)
        document = parse_slow(text)
    except YamlReadError as error:
        return ("error", error.code, str(error.message), error.line, error.column)
    except OSError as error:
        return ("unreadable", str(error.strerror or error))
    duplicates = [(d.key, d.line, d.column) for d in document.duplicates]
    return ("pickled", pickle.dumps((document.data, duplicates)))


# back in the loader's process


def _received(answer: bytes) -> Iterator[Parsed]:
    for kind, *fields in marshal.loads(answer):
        if kind == "plain":
            yield YamlDocument(with_dates(*fields))
        elif kind == "pickled":
            data, duplicates = pickle.loads(fields[0])
            yield YamlDocument(data, [DuplicateKey(*d) for d in duplicates])
        elif kind == "error":
            yield YamlReadError(*fields)
        else:
            yield OSError(0, fields[0])
