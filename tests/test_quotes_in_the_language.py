"""Names and values quoted the way the language of the messages quotes them (“Acme” in English,
« Acme » in French, «Acme» in Russian), also when code quotes them for a sentence, and typer's
extra-arguments error in that language, singular or plural."""

from __future__ import annotations

from pathlib import Path

import pytest

from crmcli.i18n import quoted, use_language
from tests.conftest import crm_in_process, write_files
from tests.duplicate_fixtures import commit_all
from tests.test_merge import FILES

NBSP = "\u00a0"


@pytest.fixture
def merge_root(tmp_path: Path) -> Path:
    return commit_all(write_files(tmp_path / "ws", FILES))


@pytest.fixture
def language():
    yield use_language
    use_language("en")


@pytest.mark.parametrize(
    ("lang", "expected"), [("en", "“Acme”"), ("fr", f"«{NBSP}Acme{NBSP}»"), ("ru", "«Acme»")]
)
def test_quoted_follows_the_language(language, lang: str, expected: str) -> None:
    language(lang)
    assert quoted("Acme") == expected


def merged_message(root: Path, lang: str) -> str:
    (root / "clients" / "societe-generale-3.yaml").write_text(
        "name: Société générale (Paris)\nlist: Clients\n", encoding="utf-8"
    )
    result = crm_in_process(
        "-C", root, "--lang", lang, "merge", "clients/societe-generale",
        "clients/societe-generale-2", "clients/societe-generale-3", "--dry-run", "--as", "alice",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_a_merge_of_two_records_says_so_in_french(merge_root: Path) -> None:
    out = merged_message(merge_root, "fr")
    assert (
        f"clients : «{NBSP}SOCIETE GENERALE{NBSP}» et «{NBSP}Société générale (Paris){NBSP}» "
        f"fusionnés dans «{NBSP}Société Générale{NBSP}»"
    ) in out
    assert "“" not in out


def test_a_merge_of_two_records_says_so_in_russian(merge_root: Path) -> None:
    out = merged_message(merge_root, "ru")
    assert (
        "clients: «SOCIETE GENERALE» и «Société générale (Paris)» объединены с «Société Générale»"
        in out
    )


@pytest.mark.parametrize(
    ("lang", "args", "expected"),
    [
        ("fr", ("a", "b"), f"Erreur{NBSP}: Argument supplémentaire inattendu (b)"),
        ("fr", ("a", "b", "c"), f"Erreur{NBSP}: Arguments supplémentaires inattendus (b c)"),
        ("ru", ("a", "b"), "Ошибка: Лишний аргумент (b)"),
        ("en", ("a", "b", "c"), "Error: Got unexpected extra arguments (b c)"),
    ],
)
def test_extra_arguments_are_refused_in_the_language(
    merge_root: Path,
    lang: str,
    args: tuple[str, ...],
    expected: str,
) -> None:
    result = crm_in_process("-C", merge_root, "--lang", lang, "show", *args)
    assert result.returncode == 2
    assert expected in result.stderr
    assert "argument(s)" not in result.stderr
