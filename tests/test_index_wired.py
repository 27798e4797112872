"""board and agenda read through the index; --no-cache gives the same answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import crm_in_process

INDEX = Path(".crm") / "index.sqlite"
COMMANDS = (("board", "opportunities", "--all"), ("agenda", "--member", "alice", "--days", "30"))


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_indexed_answers_are_those_of_no_cache(workspace, command: tuple[str, ...]) -> None:
    root = workspace()
    env = {"CRM_USER": "alice", "CRM_NOW": "2026-11-23T10:00:00"}
    expected = crm_in_process("-C", root, *command, "--no-cache", env=env)
    assert expected.returncode == 0, expected.stdout
    assert not (root / INDEX).exists()
    for _built_then_served in range(2):
        run = crm_in_process("-C", root, *command, env=env)
        assert (run.returncode, run.stdout) == (expected.returncode, expected.stdout)
    assert (root / INDEX).is_file()
