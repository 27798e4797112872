"""What the index serves only when read (index/on_demand.py): a served record's computed
values read as the dict --no-cache computes however they are read; a command that reads only
stored fields never fetches them, nor the columns of fields it does not read; values and
columns fetched after another command saved the index, or damaged, come from the files."""

from __future__ import annotations

import copy
import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from crmcli.index.on_demand import PendingComputed
from crmcli.index.session import open_indexed
from crmcli.index.store import INDEX_FILE
from tests.conftest import crm_in_process, environment
from tests.generated_workspace import generate
from tests.test_index_columns import READINGS

ENV = {"CRM_USER": "alice", "CRM_NOW": "2026-11-23T10:00:00"}
DAY = date(2026, 11, 23)
STORED = ("list", "opportunities", "--where", "amount > 20000", "--columns", "name,amount")
COMPUTED = ("list", "opportunities", "--where", "profit > 5000", "--columns", "name,profit")


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = generate(tmp_path_factory.mktemp("computed") / "ws", clients=30, deals=200)
    assert crm_in_process("-C", root, "check", env=ENV).returncode == 0  # builds the index
    return root


def client(root: Path, cache: bool) -> dict[str, Any]:
    with environment(ENV):
        opened = open_indexed(root, DAY, cache=cache)
        records = list(opened.workspace.projects["clients"].records.values())
    return next(r.computed for r in records if len(r.computed) > 2)


@pytest.mark.parametrize("reading", [r for r in READINGS if r not in ("equal",)], ids=str)
def test_served_values_read_as_those_computed_from_the_files(indexed: Path, reading: str) -> None:
    read = READINGS[reading]
    served, plain = client(indexed, cache=True), client(indexed, cache=False)
    assert isinstance(served, PendingComputed) and not isinstance(plain, PendingComputed)
    assert read(served) == read(copy.deepcopy(plain))


def damaged(root: Path, damage: str = "UPDATE files SET computed = x'00ff'") -> Path:
    """A workspace whose index is fresh but holds no readable computed value, or whatever
    `damage` spoils (a copy would not do: copied files have other inodes, so the index would
    be rebuilt from them)."""
    root = generate(root, clients=30, deals=200)
    assert crm_in_process("-C", root, "check", env=ENV).returncode == 0
    database = sqlite3.connect(root / ".crm" / INDEX_FILE)
    with database:
        assert database.execute(damage).rowcount > 0
    database.close()
    return root


def test_a_command_reading_stored_fields_never_fetches_computed_values(tmp_path: Path) -> None:
    root = damaged(tmp_path / "ws")
    expected = crm_in_process("-C", root, *STORED, "--no-cache", env=ENV)
    served = crm_in_process("-C", root, *STORED, env=ENV)
    assert served.returncode == 0 and served.stdout == expected.stdout
    assert (root / ".crm" / INDEX_FILE).is_file()  # not given up: nothing damaged was read


def test_damaged_values_when_read_come_from_the_files(tmp_path: Path) -> None:
    root = damaged(tmp_path / "ws")
    served = crm_in_process("-C", root, *COMPUTED, env=ENV)
    expected = crm_in_process("-C", root, *COMPUTED, "--no-cache", env=ENV)
    assert "Traceback" not in served.stderr
    assert served.returncode == 0 and served.stdout == expected.stdout
    assert expected.stdout.count("\n") > 10  # the where kept deals: their profits were read


def test_values_fetched_after_another_save_come_from_the_files(tmp_path: Path) -> None:
    root = generate(tmp_path / "ws", clients=10, deals=60)
    assert crm_in_process("-C", root, "check", env=ENV).returncode == 0
    with environment(ENV):
        before = values_now(root)
        opened = open_indexed(root, DAY)
        records = list(opened.workspace.projects["clients"].records.values())
        for deal in sorted((root / "opportunities").glob("[!_]*.yaml"))[:20]:
            text = deal.read_text(encoding="utf-8")
            deal.write_text(text.replace("amount: ", "amount: 1", 1), encoding="utf-8")
        assert crm_in_process("-C", root, "check", env=ENV).returncode in (0, 1)  # saves
        served = {r.id: dict(r.computed) for r in records}
        now = values_now(root)
    assert now != before  # the edit changed a client's rollups
    assert served == now  # the values as the files give them now, not the older save's


def values_now(root: Path) -> dict[str, dict[str, Any]]:
    records = open_indexed(root, DAY, cache=False).workspace.projects["clients"].records
    return {r.id: dict(r.computed) for r in records.values()}


SPOIL_COLUMN = "UPDATE columns SET blob = x'00ff' WHERE project = 'opportunities' AND name = '{}'"


def test_a_column_fetched_after_another_save_comes_from_the_files(tmp_path: Path) -> None:
    root = generate(tmp_path / "ws", clients=10, deals=60)
    assert crm_in_process("-C", root, "check", env=ENV).returncode == 0
    with environment(ENV):
        records = list(open_indexed(root, DAY).workspace.projects["opportunities"].records.values())
        assert all(r.data.get("name") for r in records)  # the names' column is read now
        for deal in sorted((root / "opportunities").glob("[!_]*.yaml")):
            text = deal.read_text(encoding="utf-8")
            deal.write_text(text.replace("amount: ", "amount: 1", 1), encoding="utf-8")
        assert crm_in_process("-C", root, "check", env=ENV).returncode in (0, 1)  # saves
        served = {r.id: r.data.get("amount") for r in records}  # its column is read now
        files = open_indexed(root, DAY, cache=False).workspace.projects["opportunities"].records
        now = {r.id: r.data.get("amount") for r in files.values()}
    assert served == now  # as the files give them now, not as the older save had them


def test_a_damaged_column_when_read_comes_from_the_files(tmp_path: Path) -> None:
    root = damaged(tmp_path / "ws", SPOIL_COLUMN.format("d:amount"))
    served = crm_in_process("-C", root, *STORED, env=ENV)
    expected = crm_in_process("-C", root, *STORED, "--no-cache", env=ENV)
    assert "Traceback" not in served.stderr
    assert served.returncode == 0 and served.stdout == expected.stdout
    assert expected.stdout.count("\n") > 10
