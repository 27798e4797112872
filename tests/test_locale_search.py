"""Issue 15, points 3 and 4: names sorted by collation, accent- and case-insensitive search,
date literals in formulas, and amounts in another currency refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import BASE_FILES, crm_in_process

ENV = {"CRM_USER": "alice", "CRM_NOW": "2026-11-23T12:00:00+01:00"}
NAMES = ["Romashka", "Écume", "Щукин", "Ёлка", "Zèbre", "Éléonore Duval"]


@pytest.fixture
def root(workspace) -> Path:
    """Clients whose names start with accented Latin and Cyrillic letters; deals that close."""
    files: dict[str, str | None] = {}
    for number, name in enumerate(NAMES):
        files[f"clients/c{number}.yaml"] = f"name: {name}\nlist: Clients\n"
        files[f"opportunities/d{number}.yaml"] = (
            f"name: {name} deal\nlist: Lead\nclient: c{number}\namount: {1000 * (number + 1)}\n"
            f"close_date: 2026-0{number + 1}-15\n"
        )
    schema = "          close_date: {type: date}\n"
    files["opportunities/_project.yaml"] = (
        BASE_FILES["opportunities/_project.yaml"].rstrip(" ") + schema
    )
    return workspace(files)


def names(root: Path, *args: str) -> list[str]:
    result = crm_in_process(
        "-C", root, "list", "clients", *args, "--columns", "name", "--format", "csv", env=ENV
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()[1:]


def test_sorting_by_name_follows_the_collation_not_code_points(root):
    assert names(root, "--sort", "name") == [
        "Acme",
        "Écume",
        "Éléonore Duval",
        "Romashka",
        "Zèbre",
        "Ёлка",
        "Щукин",
    ]
    assert names(root, "--sort", "-name")[:2] == ["Щукин", "Ёлка"]


@pytest.mark.parametrize(
    ("where", "found"),
    [
        ('CONTAINS(name, "eleonore")', ["Éléonore Duval"]),
        ('CONTAINS(name, "ELEONORE")', ["Éléonore Duval"]),
        ('CONTAINS(name, "елка")', ["Ёлка"]),
        ('CONTAINS(name, "ЕЛК")', ["Ёлка"]),
        ("'ecume' in name", ["Écume"]),
        ('CONTAINS(name, "zebre") or CONTAINS(name, "щук")', ["Zèbre", "Щукин"]),
        ('not CONTAINS(name, "e")', ["Romashka", "Щукин", "Ёлка"]),
    ],
)
def test_contains_ignores_accents_and_case(root, where, found):
    assert sorted(names(root, "--where", where)) == sorted(found)


def test_a_date_literal_compares_with_date_fields(root):
    result = crm_in_process(
        "-C",
        root,
        "list",
        "opportunities",
        "--where",
        'close_date < DATE("2026-03-01")',
        "--columns",
        "name",
        "--format",
        "csv",
        env=ENV,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1:] == ["Romashka deal", "Écume deal"]


def test_a_date_literal_that_is_no_date_is_refused(root):
    result = crm_in_process(
        "-C", root, "list", "opportunities", "--where", 'close_date < DATE("31/01/2026")', env=ENV
    )
    assert result.returncode != 0
    assert "YYYY-MM-DD" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("typed", ["7 250,75 $", "2 000 USD", "1500 £", "300 ₽"])
def test_an_amount_in_another_currency_is_refused(root, typed):
    before = (root / "opportunities/d0.yaml").read_bytes()
    result = crm_in_process("-C", root, "set", "opportunities/d0", f"amount={typed}", env=ENV)
    assert result.returncode == 1, result.stdout
    assert "EUR" in result.stderr
    assert (root / "opportunities/d0.yaml").read_bytes() == before


@pytest.mark.parametrize(
    ("typed", "stored"), [("7 250,75 €", "7250.75"), ("2 000 EUR", "2000"), ("12000", "12000")]
)
def test_an_amount_in_the_fields_currency_is_stored(root, typed, stored):
    result = crm_in_process("-C", root, "set", "opportunities/d0", f"amount={typed}", env=ENV)
    assert result.returncode == 0, result.stderr
    assert f"amount: {stored}\n" in (root / "opportunities/d0.yaml").read_text(encoding="utf-8")


def test_a_rouble_field_refuses_dollars_and_takes_roubles(workspace):
    crm_yaml = BASE_FILES["crm.yaml"].replace("fr_FR", "ru_RU").replace("EUR", "RUB")
    root = workspace({"crm.yaml": crm_yaml})
    refused = crm_in_process("-C", root, "set", "opportunities/acme-website", "amount=2 000 USD")
    assert refused.returncode == 1
    for typed in ("2 000 ₽", "2 000 руб.", "2 000 RUB"):
        stored = crm_in_process(
            "-C", root, "set", "opportunities/acme-website", f"amount={typed}", env=ENV
        )
        assert stored.returncode == 0, stored.stderr


def test_show_finds_a_record_by_its_exact_name_as_well_as_by_id(root):
    by_name = crm_in_process("-C", root, "show", "clients/Ёлка", "--format", "json", env=ENV)
    assert by_name.returncode == 0, by_name.stderr
    assert '"id": "c3"' in by_name.stdout
    spaced = crm_in_process("-C", root, "show", "clients/Éléonore Duval", env=ENV)
    assert spaced.returncode == 0, spaced.stderr
    assert "Éléonore Duval”  (clients/c5)" in spaced.stdout
    by_id = crm_in_process("-C", root, "show", "clients/c3", env=ENV)
    assert by_id.returncode == 0 and "Ёлка" in by_id.stdout


def test_show_by_a_name_several_records_share_lists_their_ids(root):
    (root / "clients/other.yaml").write_text("name: Ёлка\nlist: Clients\n", encoding="utf-8")
    result = crm_in_process("-C", root, "show", "clients/Ёлка", env=ENV)
    assert result.returncode == 2
    assert "c3, other" in result.stderr
    assert "Traceback" not in result.stderr
