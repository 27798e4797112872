"""Prevention from the stored keys: `crm import` (each row, `--dry-run` too) and `crm check
--duplicates` answer from the index's keys exactly as from every record, after hand edits
too; `crm check` fills the keys when it writes the index."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import crm_in_process
from tests.test_duplicates import planted, record_text  # noqa: F401 (the fixture)

INDEX = Path(".crm/index.sqlite")
NO_CACHE = {"CRM_NO_CACHE": "1"}
ROWS = (
    "name,email,phone,website\n"
    "SOCIETE GENERALE SA,,,\n"  # a similar name
    "Nouvelle Agence,contact@ACME.example,,\n"  # the e-mail of two records
    "Studio Nord,,01 42 00 00 01,\n"  # the phone of two records
    "Lumière Paris,,,https://lumiere.example\n"  # a website
    "Boulangerie Martin SARL,,,\n"  # the same name, once normalised
    "Tout Autre Chose,nobody@else.example,,\n"  # nothing alike
)


def keyed(root: Path) -> set[str]:
    with sqlite3.connect(root / INDEX) as db:
        return {path for (path,) in db.execute("SELECT path FROM keyed")}


def check_duplicates(root: Path, env: dict[str, str] | None = None) -> list[dict]:
    run = crm_in_process(
        "-C", root, "check", "--duplicates", "--format", "json", "--as", "alice", env=env or {}
    )
    assert run.returncode == 0, run.stderr
    return [p for p in json.loads(run.stdout) if p["code"].startswith("duplicate-")]


def import_warnings(root: Path, env: dict[str, str] | None = None, *options: str) -> list[str]:
    """What `crm import --dry-run` says of each row that likely duplicates a record."""
    (root.parent / "rows.csv").write_text(ROWS, encoding="utf-8")
    run = crm_in_process(
        "-C", root, "import", "clients", root.parent / "rows.csv", "--as", "alice", "--dry-run",
        *options, env=env or {},
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    return [line for line in run.stderr.splitlines() if "likely a duplicate" in line]


def test_check_fills_the_keys_of_projects_with_contact_fields(planted: Path) -> None:  # noqa: F811
    assert crm_in_process("-C", planted, "check").returncode == 0
    records = {
        f"{p.parent.name}/{p.name}" for p in planted.glob("*/*.yaml") if p.name != "_project.yaml"
    }
    assert keyed(planted) == records  # clients and contacts: both have an e-mail field
    (planted / "clients/acme.yaml").write_text(record_text("Acme", "new@acme.example", None, None))
    assert crm_in_process("-C", planted, "check").returncode == 0  # an incremental save
    assert "clients/acme.yaml" in keyed(planted)
    with sqlite3.connect(planted / INDEX) as db:
        assert ("email", "new@acme.example") in db.execute(
            "SELECT kind, key FROM keys WHERE path = 'clients/acme.yaml'"
        ).fetchall()


def test_check_duplicates_from_the_keys_is_the_files_answer(planted: Path) -> None:  # noqa: F811
    expected = check_duplicates(planted, NO_CACHE)
    assert {p["code"] for p in expected} == {"duplicate-email", "duplicate-phone"}
    assert check_duplicates(planted) == expected  # builds the index and fills the keys
    assert keyed(planted)
    assert check_duplicates(planted) == expected  # answered by the index
    clients = planted / "clients"
    (clients / "acme-ter.yaml").write_text(
        record_text("Acme Holding", "contact@acme.example", "01 42 00 00 01", None)
    )
    (clients / "pixel.yaml").write_text(record_text("Pixel Nord", None, "01 42 00 00 09", None))
    edited = check_duplicates(planted, NO_CACHE)
    assert edited != expected
    assert check_duplicates(planted) == edited
    assert check_duplicates(planted) == edited


def test_check_duplicates_reads_only_the_records_sharing_a_key(planted: Path) -> None:  # noqa: F811
    expected = check_duplicates(planted)
    with sqlite3.connect(planted / INDEX) as db:  # keys no record shares: never read
        db.execute("DELETE FROM keyed WHERE path = 'clients/dupont.yaml'")
    assert check_duplicates(planted) == expected


@pytest.mark.parametrize("on_duplicate", ["warn", "skip", "update"])
def test_import_rows_warn_the_same_with_and_without_the_index(
    planted: Path,  # noqa: F811
    on_duplicate: str,
) -> None:
    options = ("--on-duplicate", on_duplicate)
    expected = import_warnings(planted, NO_CACHE, *options)
    assert len(expected) == 5
    assert crm_in_process("-C", planted, "check").returncode == 0  # the index and its keys
    assert import_warnings(planted, None, *options) == expected
    (planted / "clients/acme.yaml").write_text(record_text("Acme", "new@acme.example", None, None))
    (planted / "clients/pixel.yaml").unlink()
    edited = import_warnings(planted, NO_CACHE, *options)
    assert edited != expected
    assert import_warnings(planted, None, *options) == edited


def _unreadable_row(root: Path, path: str) -> None:
    """A row the command must not unpickle: reading it would be a fault (index removed)."""
    with sqlite3.connect(root / INDEX) as db:
        db.execute("UPDATE files SET data = x'00' WHERE path = ?", (path,))


def test_check_duplicates_reads_no_record_sharing_nothing(planted: Path) -> None:  # noqa: F811
    expected = check_duplicates(planted)
    _unreadable_row(planted, "clients/dupont.yaml")
    assert check_duplicates(planted) == expected
    assert (planted / INDEX).exists()


def test_import_rows_meet_the_stored_keys(planted: Path) -> None:  # noqa: F811
    """The rows are compared with the records the index names for each of their keys: a key
    taken out of the index (a white-box probe, never a user's doing) is not met."""
    assert any("clients/pixel “" in line for line in import_warnings(planted))
    assert crm_in_process("-C", planted, "check").returncode == 0
    with sqlite3.connect(planted / INDEX) as db:
        db.execute("DELETE FROM keys WHERE path = 'clients/pixel.yaml' AND kind = 'phone'")
    warnings = import_warnings(planted)
    assert not any("clients/pixel “" in line for line in warnings)
    assert any("clients/pixel-studio “" in line for line in warnings)
    assert (planted / INDEX).exists()
