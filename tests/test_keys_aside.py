"""A cold `crm check` of a large workspace fills the duplicate keys of every row it saved; a
forked child derives them while the check runs (`KeysAside`). The keys it stores are the ones
this process derives itself, whether the child ran or not."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from crmcli.core.loader import Loader
from crmcli.duplicates.finder import DuplicateFinder
from crmcli.duplicates.stored_keys import KeysAside
from crmcli.index.column_child import ASIDE_FROM

from .conftest import crm
from .generated_workspace import generate
from .test_parse_pool import with_the_pool

INDEX = Path(".crm") / "index.sqlite"


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = generate(tmp_path_factory.mktemp("keys"), clients=300, deals=ASIDE_FROM)
    # two clients that share an e-mail address and a phone number, written differently
    (root / "clients" / "zz-twin.yaml").write_text(
        "name: Zz Twin\nemail: Twin@Example.org\nphone: +33 1 42 00 00 01\n", encoding="utf-8"
    )
    (root / "clients" / "zz-twin-2.yaml").write_text(
        "name: ZZ twin\nemail: twin@example.org\nphone: 01 42 00 00 01\n", encoding="utf-8"
    )
    return root


def stored(root: Path) -> list[tuple[str, ...]]:
    with sqlite3.connect(root / INDEX) as db:
        return sorted(db.execute("SELECT path, project, kind, field, key FROM keys"))


def cold_check_keys(root: Path, processes: str) -> list[tuple[str, ...]]:
    shutil.rmtree(root / ".crm", ignore_errors=True)
    run = crm("-C", root, "check", "--format", "json", env={"CRM_PROCESSES": processes})
    assert run.returncode in (0, 1), run.stderr
    return stored(root)


def test_the_keys_stored_after_a_cold_check_are_those_derived_here(large: Path) -> None:
    aside = cold_check_keys(large, "2")
    here = cold_check_keys(large, "1")
    assert aside == here
    clients = {row[0] for row in aside if row[1] == "clients"}
    assert len(clients) == 302  # every client's row has its keys
    twins = {row[2:] for row in aside if row[0].startswith("clients/zz-twin")}
    assert ("email", "email", "twin@example.org") in twins
    assert ("phone", "phone", "+33142000001") in twins


def test_the_child_derives_what_the_finder_derives(large: Path) -> None:
    workspace = Loader(large).load()
    clients = workspace.projects["clients"]
    finder = DuplicateFinder(workspace, clients, lambda field: True)
    expected = {
        f"clients/{record_id}.yaml": finder.key_rows(record.data)
        for record_id, record in clients.records.items()
    }
    derived = with_the_pool(lambda: KeysAside(workspace).keys())
    assert derived["clients"] == expected
    assert "opportunities" not in derived  # no e-mail or phone field: its keys are not kept


def test_one_process_derives_them_here(large: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_PROCESSES", "1")
    assert KeysAside(Loader(large).load()).keys() == {}


def keys_when_the_child_dies(root: Path) -> dict:
    os.register_at_fork(after_in_child=lambda: os._exit(3))  # in this forked test process only
    return KeysAside(Loader(root).load()).keys()


def test_a_child_that_dies_sends_no_keys(large: Path) -> None:
    assert with_the_pool(lambda: keys_when_the_child_dies(large)) == {}
