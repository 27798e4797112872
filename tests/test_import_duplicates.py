"""crm import --on-duplicate: rows that likely duplicate a record warn, skip or update it;
a row identical to a record is never created twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import crm_in_process, load, write_files
from tests.duplicate_fixtures import CRM_YAML

FILES = {
    "crm.yaml": CRM_YAML,
    "clients/_project.yaml": """
        name: Clients
        record_name: Company
        lists: [Clients]
        fields:
          email: {type: email}
          phone: {type: phone}
    """,
    "clients/societe-generale.yaml": """
        name: Société Générale
        list: Clients
        email: contact@sg.example
    """,
    "clients/acme.yaml": """
        name: Acme
        list: Clients
        email: contact@acme.example
    """,
}
CSV = (
    "name,email,phone\n"
    "SOCIETE GENERALE SA,,01 42 00 00 00\n"  # row 2: a likely duplicate (the name)
    "Acme,contact@acme.example,\n"  # row 3: identical to clients/acme
    "Pixel Nord,pixel@nord.example,\n"  # row 4: new
    "Acme Corp,contact@acme.example,01 42 00 00 01\n"  # row 5: the same e-mail as clients/acme
)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    ws = write_files(tmp_path / "ws", FILES)
    (tmp_path / "in.csv").write_text(CSV, encoding="utf-8")
    return ws


def imported(root: Path, *options: str):
    return crm_in_process(
        "-C", root, "import", "clients", root.parent / "in.csv", "--as", "alice", *options
    )


def records(root: Path) -> set[str]:
    return {p.stem for p in (root / "clients").glob("*.yaml") if p.stem != "_project"}


def test_warn_creates_and_names_the_record_in_a_dry_run_too(root: Path) -> None:
    dry = imported(root, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert (
        "row 2: clients/societe-generale-sa is likely a duplicate of clients/societe-generale “Société Générale”"
        in dry.stderr
    )
    assert (
        "row 5: clients/acme-corp is likely a duplicate of clients/acme “Acme” (same e-mail"
        in dry.stderr
    )
    assert "row 3: clients/acme unchanged" in dry.stdout
    assert records(root) == {"societe-generale", "acme"}
    done = imported(root)
    assert done.returncode == 0, done.stderr
    assert (
        "row 2: clients/societe-generale-sa is likely a duplicate of clients/societe-generale"
        in done.stderr
    )
    assert records(root) == {"societe-generale", "acme", "societe-generale-sa", "pixel-nord",
                             "acme-corp"}  # fmt: skip
    again = imported(root)  # a re-import creates nothing: every row is a record now
    assert again.returncode == 0, again.stderr
    assert records(root) == {"societe-generale", "acme", "societe-generale-sa", "pixel-nord",
                             "acme-corp"}  # fmt: skip


def test_skip_leaves_likely_duplicates_out(root: Path) -> None:
    result = imported(root, "--on-duplicate", "skip")
    assert result.returncode == 0, result.stderr
    assert "row 2: skipped: it is likely a duplicate of clients/societe-generale" in result.stderr
    assert "row 5: skipped: it is likely a duplicate of clients/acme" in result.stderr
    assert records(root) == {"societe-generale", "acme", "pixel-nord"}


def test_update_fills_the_record_it_matches(root: Path) -> None:
    result = imported(root, "--on-duplicate", "update")
    assert result.returncode == 0, result.stderr
    kept = load(root, "clients/societe-generale.yaml")
    assert kept["name"] == "Société Générale" and kept["phone"] == "01 42 00 00 00"
    assert "societe-generale-sa" not in records(root)
