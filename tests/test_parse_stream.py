"""The loader takes each chunk of a project's files as soon as a parse worker sends it back
(core/parse_pool.py `parse_ahead`), so that it builds the first records while the workers
parse the next ones; a worker killed in the middle leaves the same workspace, its missing
files parsed here."""

from __future__ import annotations

import os
import signal
import time
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from crmcli.core.loader import Loader
from crmcli.core.model import Project, Record, Workspace
from crmcli.core.parse_pool import CHUNK, POOL_FROM, ReadAhead, parse_ahead
from crmcli.core.sources import DiskSource
from crmcli.core.yamlio import MAX_RECORD_BYTES

from .conftest import environment
from .generated_workspace import generate
from .test_fast_yaml import exact
from .test_parse_pool import with_the_pool


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(tmp_path_factory.mktemp("stream"), clients=40, deals=POOL_FROM + 100)


def deal_files(root: Path) -> list[str]:
    return sorted(f"opportunities/{p.name}" for p in (root / "opportunities").glob("[!_]*.yaml"))


def wait_for(marker: Path, last: str, data: dict[str, Any]) -> None:
    """In a worker: the last file waits until the loader's process says it received the
    first one (up to a minute), and notes whether it did."""
    if data.get("name") == last:
        for _ in range(600):
            if marker.exists():
                break
            time.sleep(0.1)
        data["first_was_given"] = marker.exists()


def first_given_before_the_last_is_parsed(root: Path, marker: Path, last: str) -> bool:
    files = deal_files(root)
    ahead = parse_ahead(DiskSource(root), files, MAX_RECORD_BYTES, partial(wait_for, marker, last))
    try:
        assert isinstance(ahead.pop(files[0]), ReadAhead)
        marker.touch()
        final = ahead.pop(files[-1])
    finally:
        ahead.close()
    assert isinstance(final, ReadAhead)
    return bool(final.document.data["first_was_given"])


def test_the_first_chunk_is_given_while_the_last_is_parsed(large: Path, tmp_path: Path) -> None:
    files = deal_files(large)
    assert len(files) > 2 * CHUNK
    last = Loader(large).parse_record("opportunities", files[-1])
    assert last is not None
    marker = tmp_path / "first-given"
    assert with_the_pool(
        lambda: first_given_before_the_last_is_parsed(large, marker, last.data["name"])
    )


def killing(victim: str, workspace: Workspace, project: Project) -> Any:
    """The loader's worker check, which kills the worker that meets `victim`."""

    def check(record: Record) -> None:
        if record.path == victim:
            os.kill(os.getpid(), signal.SIGKILL)

    return check


def loaded(root: Path, victim: str) -> tuple[object, list[str], int]:
    loader = Loader(root, check_ahead=partial(killing, victim))
    workspace = loader.load()
    records = {
        key: [(record.id, exact(record.data)) for record in project.records.values()]
        for key, project in workspace.projects.items()
    }
    return records, [problem.message for problem in loader.log.problems], len(loader.checked_ahead)


def test_a_worker_killed_mid_run_leaves_the_same_workspace(large: Path) -> None:
    files = deal_files(large)
    victim = files[len(files) // 2]
    records, problems, checked = with_the_pool(lambda: loaded(large, victim))
    with environment({"CRM_PROCESSES": "1"}):
        alone, alone_problems, none_checked = loaded(large, victim)
    assert records == alone
    assert problems == alone_problems
    assert none_checked == 0  # parsed here: no worker checked any
    assert checked < len(files)  # the files after the kill were read here
