"""Running an import again creates nothing twice, and a file that appears while an import runs
stops it with nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from crmcli.errors import CrmError
from crmcli.transfer.importing import ImportOptions, RowOutcome, import_file

from .conftest import environment

ROWS = (
    "name,email,region\n"
    "Globex,hello@globex.example,Lyon\n"
    "Initech,contact@initech.example,Paris\n"
    "Initech,contact@initech.example,Paris\n"  # two equal rows: two records
)


@pytest.fixture
def env():
    with environment({"CRM_USER": "alice", "CRM_NOW": "2026-11-23T10:00:00+01:00"}):
        yield


def _clients(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((root / "clients").glob("[!_]*.yaml"))}


def _import(root: Path, table: Path, **options):
    return import_file(root, "clients", table, ImportOptions(**options))


def test_importing_the_same_file_again_reports_its_rows_unchanged(workspace, tmp_path, env):
    root = workspace()
    table = tmp_path / "clients.csv"
    table.write_text(ROWS, encoding="utf-8")

    first = _import(root, table)
    files = _clients(root)
    second = _import(root, table)

    assert (first.created, first.unchanged) == (3, 0)
    assert sorted(files) == ["acme.yaml", "globex.yaml", "initech-2.yaml", "initech.yaml"]
    assert (second.created, second.unchanged, second.updated) == (0, 3, 0)
    assert _clients(root) == files


def test_a_record_changed_since_is_not_the_rows_record(workspace, tmp_path, env):
    root = workspace()
    table = tmp_path / "clients.csv"
    table.write_text(ROWS, encoding="utf-8")
    _import(root, table)
    globex = root / "clients" / "globex.yaml"
    globex.write_text(globex.read_text().replace("Lyon", "Paris"), encoding="utf-8")

    again = _import(root, table)

    assert (again.created, again.unchanged) == (1, 2)
    assert "globex-2.yaml" in _clients(root)


def test_a_row_with_an_id_column_matches_the_record_of_that_id(workspace, tmp_path, env):
    root = workspace()
    table = tmp_path / "clients.csv"
    table.write_text("id,name,email\nacme,Acme,contact@acme.example\n", encoding="utf-8")

    result = _import(root, table)

    assert (result.created, result.unchanged, result.rejected) == (0, 1, 0)


def test_a_file_that_appears_during_the_import_stops_it_before_anything_is_written(
    workspace, tmp_path, env
):
    root = workspace()
    table = tmp_path / "clients.csv"
    table.write_text(ROWS, encoding="utf-8")
    before = _clients(root)
    pulled = root / "clients" / "initech.yaml"

    def git_pull_meanwhile(outcome: RowOutcome) -> None:
        if outcome.row == 2:  # after the rows are planned, before anything is written
            pulled.write_text("name: Initech\nlist: Clients\n", encoding="utf-8")

    with pytest.raises(CrmError, match=r"clients/initech\.yaml appeared while crm was working"):
        import_file(root, "clients", table, ImportOptions(), on_row=git_pull_meanwhile)

    assert _clients(root) == {**before, "initech.yaml": b"name: Initech\nlist: Clients\n"}
    assert not (root / ".crm" / "journal").exists()
