"""Lists inside sentences and cells are written the way the language of the messages writes
them: "a, b, and c" / "a, b et c" / "a, b и c", a choice with "or" / "ou" / "или", the clauses
of a change summary with French's no-break space before the semicolon."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

import pytest
from babel import Locale

from crmcli.i18n import LANGUAGES, current_language, use_language
from crmcli.i18n.lists import (
    VALUE_SEPARATORS,
    and_list,
    clause_list,
    or_list,
    value_list,
)

from .conftest import crm_in_process


@pytest.fixture
def speaking() -> Iterator[object]:
    """use_language for one test, the session's language restored after it."""
    before = current_language()
    yield use_language
    use_language(before)


THREE = ["Alice", "Bruno", "Chloé"]


@pytest.mark.parametrize(
    ("language", "all_of", "one_of", "values", "clauses"),
    [
        ("en", "Alice, Bruno, and Chloé", "Alice, Bruno, or Chloé", "Alice, Bruno, Chloé", "a; b"),
        ("fr", "Alice, Bruno et Chloé", "Alice, Bruno ou Chloé", "Alice, Bruno, Chloé", "a\xa0; b"),
        ("ru", "Alice, Bruno и Chloé", "Alice, Bruno или Chloé", "Alice, Bruno, Chloé", "a; b"),
    ],
)
def test_three_items(speaking, language, all_of, one_of, values, clauses) -> None:
    speaking(language)
    assert and_list(THREE) == all_of
    assert or_list(iter(THREE)) == one_of  # any iterable, read once
    assert value_list(THREE) == values
    assert clause_list(["a", "b"]) == clauses


@pytest.mark.parametrize(
    ("language", "both", "either"),
    [("en", "a and b", "a or b"), ("fr", "a et b", "a ou b"), ("ru", "a и b", "a или b")],
)
def test_two_items_take_the_conjunction_alone(speaking, language, both, either) -> None:
    speaking(language)
    assert (and_list(["a", "b"]), or_list(["a", "b"])) == (both, either)
    assert value_list(["a", "b"]) == "a, b"


@pytest.mark.parametrize("language", LANGUAGES)
def test_one_item_and_none(speaking, language) -> None:
    speaking(language)
    for write in (and_list, or_list, value_list, clause_list):
        assert write(["seo"]) == "seo"
        assert write([]) == ""


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_value_separator_is_cldrs_middle_pattern(language) -> None:
    """The table that spares `crm show` Babel's locale data agrees with CLDR."""
    middle = Locale.parse(language).list_patterns["standard"]["middle"]
    assert middle.format("{0}", "{1}") == "{0}" + VALUE_SEPARATORS[language] + "{1}"


# Through the real command line: the change summary of crm set, an unknown option's message,
# a record's history in a cell of crm list.

AMOUNTS = {"en": "; ", "fr": "\xa0; ", "ru": "; "}


@pytest.mark.parametrize("language", ["fr", "ru"])
def test_the_summary_of_crm_set_joins_its_changes(workspace, language) -> None:
    root = workspace()
    run = crm_in_process(
        "-C", root, "--lang", language, "set", "opportunities/acme-website", "amount=15000",
        "cost=8000", env={"CRM_USER": "alice"},
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    money = "{}\u202f000,00\xa0€".format
    assert run.stdout.splitlines()[0] == (
        f"opportunities/acme-website: amount {money(12)} → {money(15)}"
        f"{AMOUNTS[language]}cost {money(7)} → {money(8)}"
    )


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "fr",
            "crm\xa0: erreur\xa0: lost reason\xa0: «\xa0Cheap\xa0» n’est pas l’un de Price ou Timing",
        ),
        (
            "ru",
            "crm: ошибка: lost reason: «Cheap» не является одним из вариантов: Price или Timing",
        ),
    ],
    ids=["fr", "ru"],
)
def test_an_unknown_option_names_the_choices_with_or(workspace, language, expected) -> None:
    root = workspace()
    run = crm_in_process(
        "-C", root, "--lang", language, "set", "opportunities/acme-website", "lost_reason=Cheap",
        env={"CRM_USER": "alice"},
    )  # fmt: skip
    assert run.returncode != 0
    assert run.stderr.strip() == expected


HISTORY = """
    name: Acme — Website
    list: Won
    client: acme
    history:
      - {list: Lead, at: 2026-10-01T09:00:00+02:00, by: alice}
      - {list: Won, at: 2026-10-20T16:40:00+02:00, by: bruno}
"""


@pytest.mark.parametrize(("language", "separator"), [("fr", "\xa0; "), ("ru", "; "), ("en", "; ")])
def test_a_history_cell_separates_its_moves(workspace, language, separator) -> None:
    root = workspace({"opportunities/acme-website.yaml": HISTORY})
    run = crm_in_process(
        "-C", root, "--lang", language, "list", "opportunities", "--columns", "history",
        "--format", "csv", env={"CRM_USER": "alice"},
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    (moves,) = list(csv.reader(io.StringIO(run.stdout)))[1]
    first, second = moves.split(separator)
    assert first.startswith("Lead — ") and first.endswith("(Alice Martin)"), moves
    assert second.startswith("Won — ") and second.endswith("(Bruno Petit)"), moves


TWINS = {
    "clients/acme-twin.yaml": """
        name: ACME
        list: Clients
        email: CONTACT@acme.example
    """,
}


@pytest.mark.parametrize(
    ("language", "reason"),
    [
        ("fr", "même adresse e-mail contact@acme.example\xa0; même nom une fois normalisé"),
        ("ru", "тот же адрес e-mail contact@acme.example; то же название после нормализации"),
    ],
)
def test_the_reasons_of_a_likely_duplicate(workspace, language, reason) -> None:
    root = workspace(TWINS)
    run = crm_in_process(
        "-C", root, "--lang", language, "duplicates", "clients", "--format", "json",
        env={"CRM_USER": "alice"},
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert [match["reason"] for match in json.loads(run.stdout)] == [reason]
