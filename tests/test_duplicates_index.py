"""Duplicate keys in the index: `crm duplicates` and `crm add` answer from the stored keys
exactly as from the files, after hand edits, removals and renames too."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import crm_in_process
from tests.test_duplicates import planted, record_text  # noqa: F401 (the fixture)

INDEX = Path(".crm/index.sqlite")


def duplicates(root: Path, *options: str) -> list[dict]:
    run = crm_in_process("-C", root, "duplicates", *options, "--format", "json", "--min-score", "0")
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def same_both_ways(root: Path, project: str = "clients", reader: str = "alice") -> list[dict]:
    """The indexed answer (twice: deriving the keys, then reading them) and --no-cache's."""
    first = duplicates(root, project, "--as", reader)
    indexed = duplicates(root, project, "--as", reader)
    assert indexed == first == duplicates(root, project, "--as", reader, "--no-cache")
    return indexed


def stored_keys(root: Path, path: str) -> set[tuple[str, str]]:
    with sqlite3.connect(root / INDEX) as db:
        return set(db.execute("SELECT kind, key FROM keys WHERE path = ?", (path,)).fetchall())


def pairs(found: list[dict]) -> set[tuple[str, ...]]:
    return {tuple(item["records"]) for item in found}


@pytest.mark.parametrize(("project", "reader"), [("clients", "alice"), ("clients", "bruno"),
                                                 ("contacts", "alice")])  # fmt: skip
def test_indexed_answer_is_the_files_answer(planted: Path, project: str, reader: str) -> None:  # noqa: F811
    assert same_both_ways(planted, project, reader)
    if project == "clients":  # kept whoever reads: bruno's hidden phone included
        assert ("phone", "+33142000001") in stored_keys(planted, "clients/pixel.yaml")
        assert ("word", "generale") in stored_keys(planted, "clients/societe-generale.yaml")
    else:
        assert ("website", "radium.example") in stored_keys(planted, "contacts/marie.yaml")


def test_the_stored_keys_are_read_not_the_records(planted: Path) -> None:  # noqa: F811
    expected = same_both_ways(planted)
    with sqlite3.connect(planted / INDEX) as db:  # records the command must not unpickle
        db.execute("UPDATE files SET data = x'00' WHERE project = 'clients'")
    assert duplicates(planted, "clients", "--as", "alice") == expected
    assert (planted / INDEX).exists()  # no fault: the index was not rebuilt


def test_hand_edits_removals_and_renames_between_runs(planted: Path) -> None:  # noqa: F811
    same_both_ways(planted)
    clients = planted / "clients"
    (clients / "acme-bis.yaml").write_text(record_text("Acme Corp Europe", "sales@acme.example",
                                                       None, None))  # fmt: skip
    (clients / "durand.yaml").write_text(record_text("Atelier Dupont", None, None, None))
    found = same_both_ways(planted)
    acme = [item for item in found if item["records"] == ["clients/acme", "clients/acme-bis"]]
    assert all("e-mail" not in item["reason"] for item in acme)
    assert ("clients/dupont", "clients/durand") in pairs(found)
    assert ("email", "contact@acme.example") not in stored_keys(planted, "clients/acme-bis.yaml")

    assert crm_in_process("-C", planted, "rm", "clients/elka-2").returncode == 0
    (clients / "pixel-studio.yaml").rename(clients / "pixel-lille.yaml")
    found = pairs(same_both_ways(planted))
    assert not any("clients/elka-2" in pair for pair in found)
    assert ("clients/pixel", "clients/pixel-lille") in found
    assert stored_keys(planted, "clients/elka-2.yaml") == set()
    assert stored_keys(planted, "clients/pixel-studio.yaml") == set()


def test_a_rewritten_row_loses_its_keys(planted: Path) -> None:  # noqa: F811
    same_both_ways(planted)
    (planted / "clients/acme.yaml").write_text(record_text("Acme", "new@acme.example", None, None))
    assert crm_in_process("-C", planted, "list", "clients").returncode == 0  # saves the index
    assert stored_keys(planted, "clients/acme.yaml") == set()  # derived again when asked
    duplicates(planted, "clients")
    assert ("email", "new@acme.example") in stored_keys(planted, "clients/acme.yaml")


ADDED = [
    ("Société Générale SA", ()),
    ("Nouvelle Agence", ("--set", "email=CONTACT@acme.example")),
    ("Pixel", ("--set", "phone=+33142000001")),
    ("Lumière et Fils", ("--set", "website=https://lumiere.example")),
]


@pytest.mark.parametrize(("name", "options"), ADDED)
def test_add_warns_the_same_with_and_without_the_index(
    planted: Path,  # noqa: F811
    name: str,
    options: tuple[str, ...],
) -> None:
    duplicates(planted, "clients")  # the index and its keys
    indexed = _added(planted, name, options, cache=True)
    assert indexed and indexed == _added(planted, name, options, cache=False)


def test_add_never_warns_of_an_edited_or_removed_record(planted: Path) -> None:  # noqa: F811
    duplicates(planted, "clients")
    (planted / "clients/acme.yaml").write_text(record_text("Acme", "new@acme.example", None, None))
    (planted / "clients/pixel.yaml").unlink()
    assert _added(planted, "Nouvelle", ("--set", "email=contact@acme.example"), cache=True) == [
        "warning: clients/nouvelle is likely a duplicate of clients/acme-bis “Acme Corp Europe” "
        "(same e-mail address contact@acme.example, score 100)"
    ]
    found = _added(planted, "Autre", ("--set", "email=NEW@acme.example"), cache=True)
    assert [line.split(" “")[0] for line in found] == [
        "warning: clients/autre is likely a duplicate of clients/acme"
    ]
    pixel = _added(planted, "Studio", ("--set", "phone=0142000001"), cache=True)
    assert all("clients/pixel “" not in line for line in pixel) and pixel


def _added(root: Path, name: str, options: tuple[str, ...], cache: bool) -> list[str]:
    """The warnings of `crm add`; the record is removed again."""
    env = {} if cache else {"CRM_NO_CACHE": "1"}
    run = crm_in_process(
        "-C", root, "add", "clients", name, "--as", "alice", "--print-id", *options, env=env
    )
    assert run.returncode == 0, run.stderr
    assert crm_in_process("-C", root, "rm", run.stdout.strip(), env=env).returncode == 0
    return sorted(line for line in run.stderr.splitlines() if "likely a duplicate" in line)


def test_keys_are_kept_only_for_the_state_they_were_derived_from(planted: Path) -> None:  # noqa: F811
    from crmcli.index.store import IndexStore

    duplicates(planted, "clients")
    store = IndexStore.open(planted)
    assert store is not None
    state = store.meta("state")
    path = "clients/acme.yaml"
    rows = [("email", "email", "other@acme.example")]
    assert not store.save_keys("clients", {path: rows}, "another state")
    assert store.derived_keys("clients", [path], state) == {
        path: [("email", "email", "contact@acme.example"), ("name", "name", "acme corporation"),
               ("word", "name", "acme"), ("word", "name", "corporation")]
    }  # fmt: skip
    assert store.derived_keys("clients", [path], "another state") is None
    assert store.save_keys("clients", {path: rows}, state)
    assert store.derived_keys("clients", [path], state) == {path: rows}
    assert stored_keys(planted, path) == {("email", "other@acme.example")}
    store.close()
