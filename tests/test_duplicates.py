"""crm duplicates: planted duplicates of every kind are found, near-misses are not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import crm_in_process, write_files
from tests.duplicate_fixtures import CRM_YAML

CLIENTS = {
    "crm.yaml": CRM_YAML,
    "clients/_project.yaml": """
        name: Clients
        record_name: Company
        lists: [Clients]
        tags: [startup, public]
        fields:
          email: {type: email}
          phone: {type: phone}
          website: {type: url}
    """,
    "contacts/_project.yaml": """
        name: Contacts
        record_name: Contact
        lists: [Contacts]
        fields:
          email: {type: email}
          website: {type: url}
    """,
}
# (id, name, email, phone, website)
RECORDS = [
    ("societe-generale", "Société Générale SARL", None, None, None),
    ("societe-generale-2", "SOCIETE GENERALE", None, None, None),
    ("elka", "Ёлка", None, None, None),
    ("elka-2", "Elka", None, None, None),
    ("romashka", "ООО «Ромашка»", None, None, None),
    ("romashka-2", "Romashka", None, None, None),
    ("acme", "Acme Corporation", "contact@acme.example", None, None),
    ("acme-bis", "Acme Corp Europe", "CONTACT@Acme.example", None, None),
    ("dotted", "Jeanne Dubois Conseil", "jeanne.dubois@gmail.example", None, None),
    ("plain", "JD Conseil", "jeannedubois@gmail.example", None, None),
    ("pixel", "Pixel Nord", None, "01 42 00 00 01", None),
    ("pixel-studio", "Studio Lille", None, "+33 1 42 00 00 01", None),
    ("lumiere", "Lumière & Fils", None, None, "https://www.lumiere.example/contact"),
    ("lumiere-paris", "Ateliers du Marais", None, None, "http://lumiere.example"),
    ("boulangerie", "Boulangerie Martin", None, None, None),
    ("boulangerie-2", "Boulangerie Martine", None, None, None),
    ("debussy", "Café Debussy", None, None, None),
    ("lyon", "Café de Lyon", None, None, None),
    ("dupont", "Atelier Dupont", None, None, None),
    ("durand", "Atelier Durand", None, None, None),
]
EXPECTED = {
    "name": {
        ("societe-generale", "societe-generale-2"),
        ("elka", "elka-2"),
        ("romashka", "romashka-2"),
        ("boulangerie", "boulangerie-2"),
    },
    "email": {("acme", "acme-bis")},
    "phone": {("pixel", "pixel-studio")},
    "website": {("lumiere", "lumiere-paris")},
}


def record_text(name: str, email: str | None, phone: str | None, website: str | None) -> str:
    lines = [f'name: "{name}"', "list: Clients"]
    lines += [f"email: {email}"] if email else []
    lines += [f'phone: "{phone}"'] if phone else []
    lines += [f"website: {website}"] if website else []
    return "\n".join(lines) + "\n"


@pytest.fixture
def planted(tmp_path: Path) -> Path:
    files = dict(CLIENTS)
    for record_id, *values in RECORDS:
        files[f"clients/{record_id}.yaml"] = record_text(*values)  # type: ignore[arg-type]
    files["contacts/marie.yaml"] = (
        "name: Marie Curie\nlist: Contacts\nemail: marie@radium.example\n"
        "website: https://radium.example\n"
    )
    files["contacts/pierre.yaml"] = (
        "name: Pierre Martin\nlist: Contacts\nemail: pierre@radium.example\n"
        "website: https://www.radium.example\n"
    )
    return write_files(tmp_path / "ws", files)


def found(root: Path, project: str = "clients", *options: str) -> list[dict]:
    run = crm_in_process("-C", root, "duplicates", project, "--format", "json", *options)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def pair(item: dict) -> tuple[str, str]:
    first, second = (ref.partition("/")[2] for ref in item["records"])
    return (first, second) if first < second else (second, first)


def test_every_kind_found_and_no_near_miss(planted: Path) -> None:
    pairs = found(planted, "clients", "--as", "alice")
    reported = {pair(item): item for item in pairs}
    expected = set().union(*EXPECTED.values())
    assert set(reported) == expected  # precision and recall over the whole fixture
    for kind, wanted in EXPECTED.items():
        for key in wanted:
            reason = reported[key]["reason"]
            word = {"name": "name", "email": "e-mail", "phone": "phone", "website": "website"}
            assert word[kind] in reason, (key, reason)
            assert 70 <= reported[key]["score"] <= 100
    assert reported[("acme", "acme-bis")]["score"] == 100
    assert "+33142000001" in reported[("pixel", "pixel-studio")]["reason"]


def test_gmail_dots_are_not_the_same_address_and_cafes_differ(planted: Path) -> None:
    reported = {
        pair(item) for item in found(planted, "clients", "--as", "alice", "--min-score", "0")
    }
    assert ("dotted", "plain") not in reported
    assert ("debussy", "lyon") not in reported
    assert ("dupont", "durand") not in reported


def test_colleagues_at_one_company_are_not_duplicates(planted: Path) -> None:
    assert found(planted, "contacts", "--as", "alice") == []
    # a shared website in a person-centric project only scores low
    low = found(planted, "contacts", "--as", "alice", "--min-score", "0")
    assert [item["score"] for item in low] == [50]


def test_a_hidden_field_is_never_a_reason(planted: Path) -> None:
    reported = {pair(item): item for item in found(planted, "clients", "--as", "bruno")}
    assert ("pixel", "pixel-studio") not in reported
    assert all("+33" not in item["reason"] for item in reported.values())


def test_table_output(planted: Path) -> None:
    run = crm_in_process("-C", planted, "duplicates", "clients", "--as", "alice")
    assert run.returncode == 0, run.stderr
    assert "clients/acme = clients/acme-bis" in run.stdout
    assert "same e-mail address contact@acme.example" in run.stdout


def test_add_warns_of_a_likely_duplicate(planted: Path) -> None:
    run = crm_in_process("-C", planted, "add", "clients", "Société Générale SA", "--as", "alice")
    assert run.returncode == 0, run.stderr
    assert (
        "clients/societe-generale-sa is likely a duplicate of clients/societe-generale "
        "“Société Générale SARL”"
    ) in run.stderr
    assert (planted / "clients/societe-generale-sa.yaml").exists()


def test_check_duplicates_reports_exact_ones_as_warnings(planted: Path) -> None:
    run = crm_in_process(
        "-C", planted, "check", "--duplicates", "--format", "json", "--as", "alice"
    )
    assert run.returncode == 0, run.stderr
    problems = [p for p in json.loads(run.stdout) if p["code"].startswith("duplicate-")]
    assert {(p["code"], p["path"]) for p in problems} == {
        ("duplicate-email", "clients/acme-bis.yaml"),
        ("duplicate-phone", "clients/pixel-studio.yaml"),
    }
    assert all(p["severity"] == "warning" for p in problems)
    plain = crm_in_process("-C", planted, "check", "--format", "json")
    assert not [p for p in json.loads(plain.stdout) if p["code"].startswith("duplicate-")]


@pytest.mark.parametrize("region", ["FR", "RU", "US", "DE", "IT", "GB"])
def test_phone_keys_are_what_phonenumbers_reads(region: str) -> None:
    import phonenumbers

    from crmcli.duplicates.normalise import phone_key

    spellings = [
        "+33 1 42 00 00 00", "01 42 00 00 00", "01.42.00.00.00", "0033 1 42 00 00 00",
        "+33 (0)1 42 00 00 00", "+7 495 123-45-67", "8 495 123-45-67", "8 10 33 1 42 00 00 00",
        "+1 415 555 0100", "1 415 555 0100", "030 1234567", "06 12 34 56 78", "42",
    ]  # fmt: skip
    for spelling in spellings:
        try:
            number = phonenumbers.parse(spelling, region)
            possible = phonenumbers.is_possible_number(number)
            expected = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        except phonenumbers.NumberParseException:
            possible, expected = False, None
        assert phone_key(spelling, region) == (expected if possible else None), spelling
