"""Record files of a large project are parsed in worker processes, with the same outcome.

`crm check` gives byte for byte the same report with the pool (CRM_PROCESSES=2) as without
it (CRM_PROCESSES=1), bad files included, and each file the pool parsed is what `parse` gives
here, types and duplicate keys included.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from crmcli.core.parse_pool import POOL_FROM, parse_files
from crmcli.core.sources import DiskSource
from crmcli.core.yamlio import MAX_RECORD_BYTES, YamlReadError, parse

from .conftest import crm, environment
from .generated_workspace import generate
from .test_fast_yaml import exact

BAD_FILES = {
    "zz-duplicate.yaml": b"name: One\nname: Two\nlist: Won\n",
    "zz-invalid.yaml": b"name: [never closed\n",
    "zz-anchored.yaml": b"name: &n Anchored\nlist: Won\nclose_date: 2025-10-15\nnote: *n\n",
    "zz-latin1.yaml": "name: Caf\xe9\n".encode("latin-1"),
    "zz-list.yaml": b"- not\n- a mapping\n",
    "zz-empty.yaml": b"",
    "zz-tab.yaml": b"name: Tab\nhistory:\n\t- {list: Won}\n",
}
T = TypeVar("T")


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace whose opportunities are enough for the pool, with bad files among them."""
    root = generate(tmp_path_factory.mktemp("large"), clients=120, deals=POOL_FROM + 100)
    for name, content in BAD_FILES.items():
        (root / "opportunities" / name).write_bytes(content)
    return root


def outcome(parsed: object) -> object:
    if isinstance(parsed, YamlReadError):
        return ("error", parsed.code, parsed.message, parsed.line, parsed.column)
    if isinstance(parsed, OSError):
        return ("unreadable", parsed.strerror)
    document = getattr(parsed, "document", parsed)  # a worker's ReadAhead, or parse's document
    return (exact(document.data), document.duplicates)


def serial(root: Path, relative: str) -> object:
    try:
        return outcome(parse((root / relative).read_bytes().decode("utf-8")))
    except YamlReadError as error:
        return outcome(error)
    except UnicodeDecodeError:
        return "not utf-8"


def test_each_file_the_pool_parses_is_what_parse_gives(large: Path) -> None:
    names = sorted(p.name for p in (large / "opportunities").glob("*.yaml"))
    relatives = [f"opportunities/{name}" for name in names if not name.startswith("_")]
    parsed = pool_outcomes(large, relatives)
    assert sorted(parsed) == sorted(relatives)
    for relative in relatives:
        if relative.endswith("latin1.yaml"):
            assert parsed[relative][:2] == ("error", "not-utf8")
        else:
            assert parsed[relative] == serial(large, relative), relative


def pool_outcomes(root: Path, relatives: list[str]) -> dict[str, object]:
    def outcomes() -> dict[str, object]:
        parsed = parse_files(DiskSource(root), relatives, MAX_RECORD_BYTES)
        return {relative: outcome(value) for relative, value in parsed.items()}

    return with_the_pool(outcomes)


def with_the_pool(asking: Callable[[], T]) -> T:
    """What `asking` gives with a pool of two workers, asked from a forked child: the pool
    never forks a process that runs other threads, and the servers of earlier tests in this
    worker may still run some."""
    context = multiprocessing.get_context("fork")
    receiving, sending = context.Pipe(duplex=False)

    def child() -> None:
        with environment({"CRM_PROCESSES": "2"}):
            sending.send(asking())

    process = context.Process(target=child)
    process.start()
    answer: T = receiving.recv()
    process.join()
    return answer


def test_check_reports_the_same_with_and_without_the_pool(large: Path) -> None:
    pooled = crm("-C", large, "check", "--format", "json", env={"CRM_PROCESSES": "2"})
    alone = crm("-C", large, "check", "--format", "json", env={"CRM_PROCESSES": "1"})
    assert pooled.returncode == alone.returncode == 1
    assert pooled.stdout == alone.stdout
    for name in BAD_FILES:
        if name != "zz-anchored.yaml":
            assert f"opportunities/{name}" in pooled.stdout


def test_small_projects_and_one_process_parse_here(large: Path) -> None:
    relatives = [f"clients/{p.name}" for p in (large / "clients").glob("*.yaml")]
    assert 0 < len(relatives) < POOL_FROM
    assert parse_files(DiskSource(large), relatives, MAX_RECORD_BYTES) == {}
    many = [f"opportunities/{p.name}" for p in (large / "opportunities").glob("*.yaml")]
    with environment({"CRM_PROCESSES": "1"}):
        assert parse_files(DiskSource(large), many, MAX_RECORD_BYTES) == {}
