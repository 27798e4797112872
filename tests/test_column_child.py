"""The columns of a large save pickled by a forked child (index/column_child.py): the index
holds the very columns this process would have pickled, and a child that fails or is not
waited for costs nothing but the time."""

from __future__ import annotations

import os
import pickle
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from crmcli.index.column_child import ASIDE_FROM, ColumnsAside
from crmcli.index.detached_save import wait_for_saver

from .conftest import crm
from .generated_workspace import generate
from .test_parse_pool import with_the_pool


def columns_table(root: Path) -> list[tuple[str, str, object]]:
    """The columns, decoded: their pickles' bytes depend on which values the records share
    (the memo refers to a value written before), not what they hold."""
    index = root / ".crm" / "index.sqlite"
    wait_for_saver(index)  # a cold check of a large workspace leaves the save to a child
    with sqlite3.connect(index) as db:
        rows = db.execute("SELECT project, name, blob FROM columns ORDER BY 1, 2").fetchall()
    return [(project, name, pickle.loads(blob)) for project, name, blob in rows]


def test_a_cold_check_keeps_the_columns_one_process_pickles(tmp_path: Path) -> None:
    large = generate(tmp_path / "large", clients=30, deals=ASIDE_FROM + 10)
    alone = shutil.copytree(large, tmp_path / "alone")
    aside = crm("-C", large, "check", "--format", "json", env={"CRM_PROCESSES": "2"})
    here = crm("-C", alone, "check", "--format", "json", env={"CRM_PROCESSES": "1"})
    assert aside.stdout == here.stdout
    found = columns_table(large)
    assert {name for project, name, _blob in found if project == "opportunities"} >= {
        "ids",
        "d:name",
    }
    assert found == columns_table(alone)


def pairs(parent: int, name: str) -> Iterator[tuple[str, bytes]]:
    """Pairs that a child cannot pickle (it fails), while this process can."""
    if os.getpid() != parent:
        raise RuntimeError("only in the child")
    yield name, name.encode()


def fallback(folder: Path) -> tuple[dict[str, list[tuple[str, bytes]] | None], list[int]]:
    parent = os.getpid()
    aside = ColumnsAside({"a": pairs(parent, "x"), "b": None, "c": pairs(parent, "y")}, folder)
    started = [aside._child]
    given = {key: None if blobs is None else list(blobs) for key, blobs in aside.columns().items()}
    aside.close()
    return given, started


def test_a_failed_child_leaves_the_columns_to_this_process(tmp_path: Path) -> None:
    given, started = with_the_pool(lambda: fallback(tmp_path))
    assert started[0] != 0  # a child was forked, and failed
    assert given == {"a": [("x", b"x")], "b": None, "c": [("y", b"y")]}


def stopped(folder: Path) -> bool:
    def endless() -> Iterator[tuple[str, bytes]]:
        while True:
            yield "name", b"blob"

    aside = ColumnsAside({"a": endless()}, folder)
    child = aside._child
    aside.close()  # the save failed: its columns are never asked for
    try:
        os.waitpid(child, os.WNOHANG)
    except ChildProcessError:
        return child != 0 and not list(folder.iterdir())
    return False


def test_a_child_not_waited_for_is_stopped_and_its_file_dropped(tmp_path: Path) -> None:
    assert with_the_pool(lambda: stopped(tmp_path))
