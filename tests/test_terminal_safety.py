"""Control characters in record values are shown as escapes on a terminal (show, list, diff,
log), never sent to it: a value must not clear the screen, set the window title or reverse the
text around it. JSON keeps the value as it is."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import crm
from .repos import DEAL, Repo

# YAML escapes: \e is ESC, \a is BEL.
NAME = r"Acme \e[2J \e]0;pwned\a \u202E end"
NAME_VALUE = "Acme \x1b[2J \x1b]0;pwned\x07 \u202e end"
NOTES = r"call \e[2J back \u202E soon"
RAW = ("\x1b[2J", "\x1b]0", "\x07", "\u202e")
SHOWN = ("\\x1b[2J", "\\x1b]0;pwned\\x07", "\\u202e")

PROJECT = """
    name: Opportunities
    record_name: Deal
    lists: [Lead, Won]
    fields:
      notes: {type: text}
"""


def deal(name: str, notes: str) -> str:
    return f'name: "{name}"\nlist: Lead\nnotes: "{notes}"\n'


@pytest.fixture
def repo(workspace) -> Repo:
    root = workspace({"opportunities/_project.yaml": PROJECT, DEAL: deal("Acme", "call back")})
    repository = Repo(root, root)
    repository.commit("new deal")
    repository.write(DEAL, deal(NAME, NOTES))
    return repository


def assert_neutralised(out: str) -> None:
    for raw in RAW:
        assert raw not in out
    for shown in SHOWN:
        assert shown in out


@pytest.mark.parametrize(
    "args",
    [
        ("show", "opportunities/acme-website"),
        ("list", "opportunities", "--columns", "name,notes"),
        ("diff",),
    ],
)
def test_show_list_and_diff_print_control_characters_as_escapes(repo, args):
    result = crm("-C", repo.root, *args)
    assert result.returncode == 0, result.stderr
    assert_neutralised(result.stdout)


def test_log_prints_control_characters_as_escapes(repo):
    repo.commit("evil \x1b[2J subject")
    result = crm("-C", repo.root, "log", "opportunities/acme-website")
    assert result.returncode == 0, result.stderr
    assert_neutralised(result.stdout)
    assert "evil \\x1b[2J subject" in result.stdout


def test_diff_on_a_terminal_keeps_its_colours_and_escapes_the_values(repo):
    primary, secondary = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    with subprocess.Popen(
        [sys.executable, "-m", "crmcli", "-C", str(repo.root), "diff"],
        stdout=secondary,
        stderr=subprocess.PIPE,
        env=env,
    ) as process:
        os.close(secondary)
        out = _read_all(primary)
        assert process.wait(timeout=120) == 0, process.stderr.read() if process.stderr else ""
    assert "\x1b[32m" in out  # our own colour for the value after the change
    assert_neutralised(out.replace("\r\n", "\n"))


def _read_all(descriptor: int) -> str:
    chunks = []
    while True:
        try:
            chunk = os.read(descriptor, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(descriptor)
    return b"".join(chunks).decode("utf-8")


def test_json_keeps_the_value_as_it_is(repo):
    result = crm("-C", repo.root, "show", "opportunities/acme-website", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["fields"]["name"] == NAME_VALUE


def test_a_terminal_table_of_plain_values_is_unchanged(repo: Repo) -> None:
    Path(repo.root / DEAL).write_text(deal("Acme\tSite", "ok"), encoding="utf-8")
    result = crm("-C", repo.root, "show", "opportunities/acme-website")
    assert "Acme\tSite" in result.stdout and "\\x" not in result.stdout
