"""Counts inside messages written the way the language of the messages writes numbers
(120,701 in English, 120 701 in French and Russian), and every count that picks a word in the
singular or the plural (Russian has three forms)."""

from __future__ import annotations

import pytest

from crmcli.i18n import counted, use_language
from tests.conftest import crm_in_process, write_files

NNBSP = "\u202f"  # CLDR's French group separator
NBSP = "\u00a0"  # CLDR's Russian group separator


@pytest.fixture
def language():
    yield use_language
    use_language("en")


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("en", "120,701"), ("fr", f"120{NNBSP}701"), ("ru", f"120{NBSP}701")],
)
def test_a_large_count_is_grouped_as_the_language_writes_it(language, lang, expected) -> None:
    language(lang)
    assert counted(120701) == expected
    assert counted(999) == "999"
    assert counted(0) == "0"


SUMMARIES = {
    "en": "1,002 records in 2 projects: 0 errors, 0 warnings",
    "fr": f"1{NNBSP}002 fiches dans 2 projets{NBSP}: 0 erreur, 0 avertissement",
    "ru": f"1{NBSP}002 записи в 2 проектах: 0 ошибок, 0 предупреждений",
}


def test_the_check_summary_of_a_large_workspace_groups_its_count(workspace) -> None:
    """The base workspace with a thousand more clients: 1,002 records in 2 projects (checked
    once, then answered from the index in each language)."""
    root = workspace()
    clients = {
        f"clients/client-{number:04d}.yaml": f"name: Client {number}\nlist: Clients\n"
        for number in range(1000)
    }
    write_files(root, clients)
    for lang, summary in SUMMARIES.items():
        result = crm_in_process("-C", root, "--lang", lang, "check", "--as", "alice")
        assert result.returncode == 0, result.stderr
        assert result.stderr.strip().splitlines()[-1] == summary


def test_the_schemas_written_are_counted_in_a_russian_plural_form(workspace, tmp_path) -> None:
    out = tmp_path / "schemas"
    result = crm_in_process("-C", workspace(), "--lang", "ru", "schema", "export", "--out", out)
    assert result.returncode == 0, result.stderr
    assert f"записано 6 схем в {out}" in result.stderr  # crm.yaml's, each project's, …
