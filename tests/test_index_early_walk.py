"""The freshness check's walk started with the command (`index/early_walk.py`): whenever the
command takes it (before the child listed anything, after it finished, after it died) the
scan is the one the command makes alone; `crm` starts it only for the commands that read the
index, and before importing anything but the standard library."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, crm, crm_in_process
from tests.generated_workspace import generate

ENV = {"CRM_USER": "alice", "CRM_NOW": "2026-11-23T10:00:00"}

# Run in a fresh interpreter: the walk forks, and a test process may have threads. Pieces of
# 7 files, so that the two processes share many of them.
SCAN = """
import json, os, signal, sys, time
from pathlib import Path
from crmcli.index import early_walk, walk
from crmcli.index.freshness import scan
walk.CHUNK = 7
root, how = Path(sys.argv[1]).resolve(), sys.argv[2]
alone = scan(root)
started_at = time.time_ns()
early_walk.start(root if how != "elsewhere" else root / "opportunities")
child = early_walk._started.pid
if how == "finished":
    os.waitid(os.P_PID, child, os.WEXITED | os.WNOWAIT)  # done, not yet reaped
elif how == "killed":
    os.kill(child, signal.SIGKILL)
    os.waitid(os.P_PID, child, os.WEXITED | os.WNOWAIT)
called_at = time.time_ns()
shared = scan(root)
try:
    os.waitpid(child, os.WNOHANG)
    reaped = False
except ChildProcessError:
    reaped = True
print(json.dumps({
    "same_listing": shared.listing == alone.listing,
    "same_fingerprint": shared.fingerprint == alone.fingerprint,
    "same_digest": shared.digest == alone.digest,
    "pieces": sum(-(-len(names) // 7) for names, _keys in alone.listing.values()),
    "walk_time": (
        "start" if started_at <= shared.seen_ns < called_at
        else "scan" if shared.seen_ns >= called_at else "?"
    ),
    "reaped": reaped,
    "left": early_walk._started is None,
}))
"""


def scanned(root: Path, how: str) -> dict[str, object]:
    completed = subprocess.run(
        [sys.executable, "-c", SCAN, str(root), how],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    return json.loads(completed.stdout)


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    found = generate(tmp_path_factory.mktemp("walk") / "ws", clients=40, deals=300)
    (found / "opportunities" / "named-like-a-record.yaml").mkdir()  # not a record: the stat says
    (found / "opportunities" / "notes.txt").write_text("beside the records\n", encoding="utf-8")
    return found


@pytest.mark.parametrize("how", ["at-once", "finished", "killed", "elsewhere"])
def test_the_shared_walk_finds_what_the_command_finds_alone(root: Path, how: str) -> None:
    found = scanned(root, how)
    assert found["pieces"] > 40  # enough pieces for the two processes to share
    assert found["same_listing"] and found["same_fingerprint"] and found["same_digest"]
    if how in ("at-once", "finished"):  # the walk's time is the child's start
        assert found["walk_time"] == "start"
    elif how == "elsewhere":  # not taken: the command walked alone
        assert found["walk_time"] == "scan"
    assert found["reaped"] and found["left"]  # no child is left behind, none is waited twice


def test_crm_imports_only_the_standard_library_before_the_walk_starts() -> None:
    script = (
        "import sys\n"
        "before = set(sys.modules)\n"
        "import crmcli.cli.start\n"
        "print(sorted(set(sys.modules) - before))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=REPO
    )
    ours = {m for m in ast.literal_eval(completed.stdout) if m.startswith("crmcli")}
    assert ours == {
        "crmcli",
        "crmcli.cli",
        "crmcli.cli.start",
        "crmcli.core",
        "crmcli.core.collector",
        "crmcli.core.layout",
        "crmcli.index",
        "crmcli.index.early_walk",
        "crmcli.index.walk",
        "crmcli.index.wanted",
    }
    third_party = {"yaml", "typer", "click", "babel", "ruamel", "yaml_rs", "sqlite3"}
    assert not {m.split(".")[0] for m in ast.literal_eval(completed.stdout)} & third_party


STARTS = """
import sys
from crmcli.cli import start
from crmcli.index import early_walk
start._start_walk(start.take_lang(sys.argv[2:])[1])  # as `run` does
print(early_walk._started is not None and early_walk._started.root == __import__("pathlib").Path(sys.argv[1]).resolve())
"""


@pytest.mark.parametrize(
    ("args", "env", "walks"),
    [
        (["show", "opportunities/x"], {}, True),
        (["--lang", "fr", "list", "opportunities"], {}, True),
        (["check", "--format", "json"], {}, True),
        (["set", "opportunities/x", "amount=3"], {}, False),
        (["show", "opportunities/x", "--no-cache"], {}, False),
        (["show", "opportunities/x"], {"CRM_NO_CACHE": "1"}, False),
        (["show", "--help"], {}, False),
        (["--version"], {}, False),
    ],
)
def test_crm_walks_early_only_for_a_command_that_reads_the_index(
    root: Path, args: list[str], env: dict[str, str], walks: bool
) -> None:
    completed = subprocess.run(
        [sys.executable, "-c", STARTS, str(root), "-C", str(root), *args],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        env={**os.environ, **env},
    )
    assert completed.stdout.strip() == str(walks)


def test_crm_answers_with_the_early_walk_as_without_it(root: Path) -> None:
    for args in (
        ["check", "--format", "json"],
        ["show", "opportunities/" + sorted((root / "opportunities").glob("a*.yaml"))[0].stem],
        ["list", "opportunities", "--where", "amount > 20000"],
    ):
        first = crm("-C", root, *args, env=ENV)  # builds or brings the index up to date
        again = crm("-C", root, *args, env=ENV)  # served: the early walk's scan is fresh
        alone = crm_in_process("-C", root, *args, "--no-cache", env=ENV)
        assert first.returncode == again.returncode == alone.returncode
        assert first.stdout == again.stdout == alone.stdout
