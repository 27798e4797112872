"""Kill tests: real `crm rename`, `crm import`, `crm import --key` and `crm fmt` processes are
SIGKILLed at seeded random moments; the next command (`crm check`) must find the workspace
exactly as it was or exactly as the command would have left it, clean, with no temp file and no
journal left.

Two kinds of kill points per command: at a random moment of its whole run (start-up, reading,
checking, staging: mostly before anything is written), and inside its rename loop, where
`CRM_TEST_PAUSE_IN_RENAME_LOOP` slows each rename a little so the SIGKILL lands between two
(the test waits for the journal's commit marker, then kills after a random delay).
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from crmcli.editing.journal import COMMITTED, PAUSE_VARIABLE, journal_folder

from .conftest import BASE_FILES, crm_in_process, write_files

CLIENTS = 150
DEALS = 200
PAUSE = 0.002  # seconds after each rename in the loop kills
ENVIRONMENT = {"CRM_USER": "alice", "CRM_NOW": "2026-11-23T10:00:00+01:00"}


@dataclass(frozen=True)
class Command:
    name: str
    arguments: tuple[str, ...]
    steps: int  # files its transaction writes or removes
    timing_kills: int
    loop_kills: int


COMMANDS = [
    Command("rename", ("rename", "clients/acme", "acme-corp"), DEALS + 2, 6, 7),
    Command("import", ("import", "clients", "new.csv"), CLIENTS, 6, 6),
    Command("import --key", ("import", "clients", "update.csv", "--key", "email"), CLIENTS, 6, 6),
    Command("fmt", ("fmt",), DEALS, 6, 7),
]


def _files() -> dict[str, str]:
    files: dict[str, str] = dict(BASE_FILES)
    for number in range(1, CLIENTS + 1):
        files[f"clients/c{number:03}.yaml"] = (
            f"name: Client {number:03}\nlist: Clients\nemail: c{number:03}@example.com\n"
            "region: Paris\n"
        )
    for number in range(1, DEALS + 1):  # not in the canonical layout: fmt rewrites each
        files[f"opportunities/d{number:03}.yaml"] = (
            f"amount: {1000 + number}\nclient: acme\nname: Deal {number:03}\nlist: Lead\n"
        )
    files["new.csv"] = "name,email,region\n" + "".join(
        f"New {n:03},new{n:03}@example.com,Lyon\n" for n in range(1, CLIENTS + 1)
    )
    files["update.csv"] = "email,region\n" + "".join(
        f"c{n:03}@example.com,Lyon\n" for n in range(1, CLIENTS + 1)
    )
    return files


def _tree(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".crm" not in path.relative_to(root).parts
    }


def _start(root: Path, command: Command, pause: float = 0) -> subprocess.Popen[bytes]:
    environment = {**os.environ, **ENVIRONMENT}
    environment.pop("CRM_WORKSPACE", None)
    if pause:
        environment[PAUSE_VARIABLE] = str(pause)
    return subprocess.Popen(
        [sys.executable, "-m", "crmcli", "-C", str(root), *command.arguments],
        cwd=root,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _wait_for_commit(root: Path, process: subprocess.Popen[bytes]) -> None:
    marker = journal_folder(root) / COMMITTED
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        assert time.monotonic() < deadline
        time.sleep(0.001)


def _settle_and_judge(root: Path, old: dict[str, str], new: dict[str, str]) -> tuple[str, bool]:
    """Run `crm check` (which settles the journal first); say which state the workspace is in."""
    interrupted = journal_folder(root).exists()
    result = crm_in_process("-C", root, "check", env=ENVIRONMENT)
    assert result.returncode == 0, result.stdout + result.stderr
    tree = _tree(root)
    assert tree in (old, new), sorted(set(tree.items()) ^ set(new.items()))[:6]
    assert not journal_folder(root).exists()
    assert not list(root.rglob(".*.tmp")), "temp files left behind"
    assert not list((root / ".crm").glob("journal*"))
    return ("old" if tree == old else "new"), interrupted


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_a_killed_multi_file_write_leaves_the_old_or_the_new_state(tmp_path, command):
    template = write_files(tmp_path / "template", _files())
    old = _tree(template)
    reference = tmp_path / "reference"
    shutil.copytree(template, reference)
    started = time.monotonic()
    finished = _start(reference, command)
    _out, errors = finished.communicate(timeout=120)
    assert finished.returncode == 0, errors.decode()
    duration = time.monotonic() - started
    new = _tree(reference)
    assert new != old

    seed = random.Random(f"kill-{command.name}")
    outcomes: Counter[str] = Counter()
    kills = [("timing", n) for n in range(command.timing_kills)]
    kills += [("loop", n) for n in range(command.loop_kills)]
    for kind, number in kills:
        root = tmp_path / f"{kind}-{number}"
        shutil.copytree(template, root)
        if kind == "timing":
            process = _start(root, command)
            time.sleep(seed.uniform(0, duration))
        else:
            process = _start(root, command, PAUSE)
            _wait_for_commit(root, process)
            time.sleep(seed.uniform(0, command.steps * PAUSE * 0.8))
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=60)
        state, interrupted = _settle_and_judge(root, old, new)
        outcomes[f"{kind} kill, {'journal' if interrupted else 'no journal'}, {state} state"] += 1
        shutil.rmtree(root)

    print(f"\n{command.name}: {len(kills)} kills, {dict(sorted(outcomes.items()))}")
    assert sum(outcomes.values()) == len(kills)
    in_the_loop = (
        outcomes["loop kill, journal, new state"] + outcomes["loop kill, journal, old state"]
    )
    assert in_the_loop >= command.loop_kills // 2, outcomes  # most loop kills hit the loop
