"""A cold `crm check` of a large workspace answers before the index is written: a detached
child writes it (`index/detached_save.py`) and holds a lock that the next command waits for.
The index it writes is the one a single process writes, and a child killed while writing
leaves every answer as correct as before."""

from __future__ import annotations

import os
import pickle
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crmcli.core.file_locks import take
from crmcli.index.column_child import ASIDE_FROM
from crmcli.index.detached_save import left_to_child, saver_lock, wait_for_saver
from crmcli.index.session import Index, workspace_today

from .conftest import crm, environment
from .generated_workspace import generate
from .test_column_child import columns_table
from .test_index import KILLED_WHILE_SAVING
from .test_parse_pool import with_the_pool

INDEX = Path(".crm") / "index.sqlite"


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = generate(tmp_path_factory.mktemp("detached"), clients=300, deals=ASIDE_FROM)
    # two clients that share an e-mail address and a phone number, written differently
    (root / "clients" / "zz-twin.yaml").write_text(
        "name: Zz Twin\nemail: Twin@Example.org\nphone: +33 1 42 00 00 01\n", encoding="utf-8"
    )
    (root / "clients" / "zz-twin-2.yaml").write_text(
        "name: ZZ twin\nemail: twin@example.org\nphone: 01 42 00 00 01\n", encoding="utf-8"
    )
    return root


def cold_check(root: Path, processes: str) -> tuple[str, bool]:
    """What a check with no index prints, and whether it left the save to a child."""
    shutil.rmtree(root / ".crm", ignore_errors=True)
    run = crm("-C", root, "check", "--format", "json", env={"CRM_PROCESSES": processes})
    assert run.returncode in (0, 1), run.stderr
    return run.stdout, saver_lock(root / INDEX).exists()


def saved(root: Path) -> dict[str, list[tuple[object, ...]]]:
    """What the index holds, once its save is over; pickles decoded (their bytes depend on
    which values a pickle shares, not on what they hold)."""
    wait_for_saver(root / INDEX)
    with sqlite3.connect(root / INDEX) as db:
        files = db.execute(
            "SELECT path, project, record_id, size, digest, data, problems, computed, issues"
            " FROM files ORDER BY path"
        ).fetchall()
        tables = {
            "files": [
                (*row[:5], *(None if blob is None else pickle.loads(blob) for blob in row[5:]))
                for row in files
            ],
            "refs": db.execute("SELECT * FROM refs ORDER BY 1, 2, 3").fetchall(),
            "keys": db.execute(
                "SELECT path, project, kind, field, key FROM keys ORDER BY 1, 2, 3, 4, 5"
            ).fetchall(),
            "meta": db.execute(
                "SELECT key FROM meta WHERE key NOT IN ('listing', 'racy') ORDER BY 1"
            ).fetchall(),
        }
    tables["columns"] = columns_table(root)
    return tables


def test_the_index_a_detached_child_writes_is_the_one_written_here(large: Path) -> None:
    answer_aside, detached = cold_check(large, "2")
    aside = saved(large)
    answer_here, detached_here = cold_check(large, "1")
    assert (detached, detached_here) == (True, False)
    assert answer_aside == answer_here
    assert aside == saved(large)
    projects = [row[1] for row in aside["files"]]
    assert (projects.count("clients"), projects.count("opportunities")) == (302, ASIDE_FROM)
    clients = {row[0] for row in aside["keys"] if row[1] == "clients"}
    assert len(clients) == 302  # every client's row has its keys
    twins = {row[2:] for row in aside["keys"] if str(row[0]).startswith("clients/zz-twin")}
    assert ("email", "email", "twin@example.org") in twins
    assert ("phone", "phone", "+33142000001") in twins


def saved_state(root: Path) -> bytes:
    """The token of the index's last save (`meta` "state")."""
    with sqlite3.connect(root / INDEX) as db:
        return db.execute("SELECT value FROM meta WHERE key = 'state'").fetchone()[0]


def test_the_next_command_is_served_what_the_child_saved(large: Path) -> None:
    answer, detached = cold_check(large, "2")
    run = crm("-C", large, "check", "--format", "json")  # at once: it waits for the child
    assert detached
    assert run.stdout == answer
    before = saved_state(large)
    assert crm("-C", large, "check", "--format", "json").stdout == answer
    assert saved_state(large) == before  # served: nothing was built or saved again


def leave_and_watch(folder: Path, records: int) -> tuple[bool, bool, bool, str]:
    """Whether a child took the save, held the lock while it ran, had not finished when this
    process went on, and what it found of its streams and session."""
    index = folder / "index.sqlite"
    marker = folder / "saved"
    readable, writable = os.pipe()

    def save() -> None:
        os.read(readable, 1)  # until this process lets it go on
        time.sleep(0.2)
        alone = os.getsid(0) == os.getpid()
        marker.write_text(f"{alone} {Path('/proc/self/fd/1').readlink()}", encoding="utf-8")

    took = left_to_child(index, save, records)
    with saver_lock(index).open("a") as handle:
        held = not take(handle, timeout=0)
    early = marker.exists()
    os.write(writable, b"x")
    wait_for_saver(index)
    return took, held, early, marker.read_text(encoding="utf-8") if marker.exists() else ""


def test_a_command_waits_for_the_child_still_saving(tmp_path: Path) -> None:
    watched = with_the_pool(lambda: leave_and_watch(tmp_path, ASIDE_FROM))
    assert watched == (True, True, False, "True /dev/null")


def test_a_small_or_single_process_save_is_written_here(tmp_path: Path) -> None:
    assert (
        with_the_pool(lambda: left_to_child(tmp_path / "i", lambda: None, ASIDE_FROM - 1)) is False
    )
    with environment({"CRM_PROCESSES": "1"}):
        assert left_to_child(tmp_path / "i", lambda: None, ASIDE_FROM) is False
    assert not saver_lock(tmp_path / "i").exists()


def test_a_child_killed_while_saving_leaves_correct_answers(large: Path) -> None:
    expected = crm("-C", large, "check", "--format", "json", env={"CRM_NO_CACHE": "1"})
    shutil.rmtree(large / ".crm", ignore_errors=True)
    answered = subprocess.run(
        [sys.executable, "-c", KILLED_WHILE_SAVING, "-C", str(large), "check", "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "CRM_USER": "alice", "CRM_PROCESSES": "2"},
    )
    assert answered.returncode == expected.returncode  # the command itself was not killed
    assert answered.stdout == expected.stdout
    wait_for_saver(large / INDEX)  # the lock went with the killed child
    assert (large / ".crm" / "index.sqlite-journal").exists()  # its transaction was cut short
    for _ in range(2):
        again = crm("-C", large, "check", "--format", "json")
        assert again.stdout == expected.stdout


def handed_over(root: Path) -> tuple[bool, bool]:
    """Whether this process's index let go of a cold save it left to a child, and whether the
    next opening finds everything the child saved fresh."""
    shutil.rmtree(root / ".crm", ignore_errors=True)
    index = Index.open(root)
    assert index is not None
    index.open_workspace(workspace_today(root))
    let_go = index.failed  # nothing reads or writes the child's index from here
    index.fault()  # as a later fault would: it must not remove what the child writes
    again = Index.open(root)  # waits for the child
    assert again is not None
    fresh = again.everything_fresh
    again.store.close()
    return let_go, fresh


def test_a_process_that_left_its_save_to_a_child_lets_the_index_go(large: Path) -> None:
    assert with_the_pool(lambda: handed_over(large)) == (True, True)
