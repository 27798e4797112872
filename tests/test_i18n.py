"""Messages in French and Russian: the catalogs are complete and keep every placeholder, the .pot
follows the source, and `crm` speaks the language that --lang, $CRM_LANG, crm.yaml or the
environment chooses (first match wins)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from crmcli.i18n import LOCALE_DIR, current_language, ngettext, use_language

from .conftest import REPO, crm

POT = LOCALE_DIR / "crmcli.pot"
LANGUAGES = ("fr", "ru")
# {name}, {name!r}, {size:.1f}, %s, %(prog)s — but not the {{ }} of a literal brace
PLACEHOLDER = re.compile(r"(?<!\{)\{[a-z_]*(?:![rsa])?(?::[^}]*)?\}(?!\})|%\([a-z_]+\)[sd]|%[sd]")


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogs() -> None:
    """The .mo files a checkout runs with (make mo), compiled when older than their .po."""
    for po in LOCALE_DIR.glob("*/LC_MESSAGES/crmcli.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "babel.messages.frontend",
                    "-q",
                    "compile",
                    "-d",
                    str(LOCALE_DIR),
                    "-D",
                    "crmcli",
                ],
                check=True,
            )
            return


def catalog(language: str):
    with (LOCALE_DIR / language / "LC_MESSAGES" / "crmcli.po").open("rb") as po:
        return read_po(po)


def forms(message_id: str | tuple[str, ...]) -> tuple[str, ...]:
    return (message_id,) if isinstance(message_id, str) else tuple(message_id)


def placeholders(text: str) -> list[str]:
    return sorted(set(PLACEHOLDER.findall(text)))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_with_the_same_placeholders(language: str) -> None:
    with POT.open("rb") as pot:
        template = read_po(pot)
    translated = catalog(language)
    wrong = []
    for message in template:
        if not message.id:
            continue
        found = translated.get(message.id)
        strings = forms(found.string) if found else ()
        if found is None or found.fuzzy or not all(strings):
            wrong.append(f"untranslated: {message.id!r}")
            continue
        expected = placeholders(forms(message.id)[-1])
        for string in strings:
            if placeholders(string) != expected and placeholders(string) != placeholders(
                forms(message.id)[0]
            ):
                wrong.append(f"placeholders of {message.id!r}: {string!r}")
    assert not wrong, "\n".join(wrong)


def test_plural_forms_are_those_of_each_language() -> None:
    assert catalog("fr").plural_forms == "nplurals=2; plural=(n > 1);"
    assert catalog("ru").num_plurals == 3


def test_the_pot_is_up_to_date_with_the_source(tmp_path: Path) -> None:
    """make catalogs extracts the same messages the committed .pot holds."""
    fresh = tmp_path / "fresh.pot"
    site_packages = Path(pytest.importorskip("typer").__file__).parent.parent
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "-q",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "lazy",
            "-o",
            str(fresh),
            ".",
            str(site_packages),
        ],
        cwd=REPO,
        check=True,
    )
    with fresh.open("rb") as new, POT.open("rb") as committed:
        extracted = {m.id for m in read_po(new) if m.id}
        kept = {m.id for m in read_po(committed) if m.id}
    assert extracted - kept == set(), "run make catalogs: new messages are not in the .pot"
    assert kept - extracted == set(), "run make catalogs: the .pot has messages no longer used"


@pytest.mark.parametrize(
    ("language", "count", "expected"),
    [
        ("ru", 1, "1 запись"),
        ("ru", 2, "2 записи"),
        ("ru", 5, "5 записей"),
        ("ru", 21, "21 запись"),
        ("ru", 111, "111 записей"),
        ("fr", 0, "0 fiche"),  # French counts zero and one as singular
        ("fr", 1, "1 fiche"),
        ("fr", 2, "2 fiches"),
    ],
)
def test_plurals(language: str, count: int, expected: str) -> None:
    before = current_language()
    use_language(language)
    try:
        assert ngettext("{n} record", "{n} records", count).format(n=count) == expected
    finally:
        use_language(before)


DANGLING = {"opportunities/acme-website.yaml": "name: Acme — Website\nlist: Won\nclient: nobody\n"}


def test_check_problems_in_french_and_russian(workspace) -> None:
    root = workspace(DANGLING)
    french = crm("-C", root, "check", env={"CRM_LANG": "fr"})
    russian = crm("-C", root, "check", env={"CRM_LANG": "ru"})
    assert french.returncode == russian.returncode == 1
    assert "[dangling-reference]" in french.stdout and "[dangling-reference]" in russian.stdout
    assert "mais il n’y a pas de fiche" in french.stdout, french.stdout
    assert "1\u00a0erreur" in french.stderr or "1 erreur" in french.stderr, french.stderr
    assert "нет такой записи" in russian.stdout, russian.stdout
    assert "1 ошибка" in russian.stderr, russian.stderr


@pytest.mark.parametrize("where", ["before", "after"])
def test_lang_before_or_after_the_command(workspace, where: str) -> None:
    root = workspace(DANGLING)
    args = ["--lang", "ru", "check"] if where == "before" else ["check", "--lang", "ru"]
    run = crm("-C", root, *args, env={"CRM_LANG": "fr"})
    assert "нет такой записи" in run.stdout, run.stdout + run.stderr


def test_lang_wins_over_crm_yaml_and_crm_lang_over_it(workspace) -> None:
    root = workspace({**DANGLING, "crm.yaml": "name: Test\nlocale: fr_FR\nlanguage: ru\n"})
    assert "нет такой записи" in crm("-C", root, "check", env={"CRM_LANG": ""}).stdout
    assert "mais il n’y a pas" in crm("-C", root, "check", env={"CRM_LANG": "fr"}).stdout
    english = crm("-C", root, "check", "--lang=en", env={"CRM_LANG": "ru"})
    assert "but there is no such" in english.stdout, english.stdout


def test_the_language_of_locale_when_crm_yaml_names_no_language(workspace) -> None:
    root = workspace({**DANGLING, "crm.yaml": "name: Test\nlocale: ru_RU\n"})
    run = crm("-C", root, "check", env={"CRM_LANG": "", "LANG": "fr_FR.UTF-8", "LC_ALL": ""})
    assert "нет такой записи" in run.stdout, run.stdout


def test_lang_falls_back_to_the_environment(workspace) -> None:
    root = workspace({**DANGLING, "crm.yaml": "name: Test\n"})
    environment = {"CRM_LANG": "", "LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": ""}
    run = crm("-C", root, "check", env={**environment, "LANG": "fr_FR.UTF-8"})
    assert "mais il n’y a pas" in run.stdout, run.stdout
    assert (
        "but there is no" in crm("-C", root, "check", env={**environment, "LANG": "C.UTF-8"}).stdout
    )


def test_an_unknown_language_in_crm_yaml_is_a_problem_at_its_line(workspace) -> None:
    root = workspace({"crm.yaml": "name: Test\nlocale: fr_FR\nlanguage: klingon\n"})
    run = crm("-C", root, "check", "--format", "json", env={"CRM_LANG": "en"})
    assert '"unknown-language"' in run.stdout and '"line": 3' in run.stdout, run.stdout


def test_typer_help_and_usage_errors_are_translated(tmp_path: Path) -> None:
    french = crm("--lang", "fr", "check", "--help", cwd=tmp_path)
    assert "Utilisation\u00a0: " in french.stdout, french.stdout
    assert "Afficher ce message et quitter." in french.stdout
    assert "Vérifier l’espace de travail" in french.stdout
    russian = crm("--help", "--lang", "ru", cwd=tmp_path)
    assert "Использование:" in russian.stdout and "Команды" in russian.stdout, russian.stdout
    assert "Язык сообщений" in russian.stdout


def test_usage_errors_are_whole_translated_sentences(tmp_path: Path) -> None:
    unknown = crm("--lang", "fr", "check", "--bogus", cwd=tmp_path)
    assert unknown.returncode == 2
    assert "Erreur\u00a0: Option inconnue\u00a0: --bogus." in unknown.stderr, unknown.stderr
    assert "check -h\u00a0» pour l’aide." in unknown.stderr
    missing = crm("show", "--lang", "ru", cwd=tmp_path)
    assert missing.returncode == 2
    assert "Ошибка: Не указан аргумент 'PROJECT/ID'." in missing.stderr, missing.stderr
    assert "Error" not in missing.stderr and "Try" not in missing.stderr
    english = crm("--lang", "en", "show", cwd=tmp_path)
    assert "Error: Missing argument 'PROJECT/ID'." in english.stderr
