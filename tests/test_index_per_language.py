"""Issue 14: one index per language of the messages. The problems an index keeps are messages,
so switching between French and English (a member's terminal, a CI run) must not rebuild the
other language's index, and each language's answers stay those of `--no-cache`."""

from __future__ import annotations

from pathlib import Path

from crmcli.core.state_dir import STATE_DIR
from crmcli.index.store import INDEX_FILE, index_file
from tests.conftest import crm_in_process

UNKNOWN_LIST = """
    name: Acme — Refonte
    list: Signed
    client: acme
    amount: 5000
"""


def checked(root: Path, lang: str, *options: str) -> str:
    result = crm_in_process("-C", root, "--lang", lang, "check", "--format", "json", *options)
    assert result.returncode == 1, result.stderr  # the unknown list is an error
    return result.stdout


def test_each_language_keeps_its_own_index(workspace) -> None:
    root = workspace({"opportunities/acme-refonte.yaml": UNKNOWN_LIST})
    english, french = root / STATE_DIR / INDEX_FILE, root / STATE_DIR / index_file("fr")
    in_english = checked(root, "en")
    built = english.stat().st_mtime_ns
    in_french = checked(root, "fr")
    assert english.stat().st_mtime_ns == built  # the English index is not rebuilt for French
    assert french.is_file()
    assert checked(root, "en") == in_english
    assert checked(root, "fr") == in_french
    assert english.stat().st_mtime_ns == built  # nor written again after it
    assert in_english == checked(root, "en", "--no-cache")
    assert in_french == checked(root, "fr", "--no-cache")
    assert in_french != in_english  # the French index answers in French


def test_the_index_of_the_messages_own_language_keeps_its_name() -> None:
    assert index_file("en") == INDEX_FILE == "index.sqlite"
    assert index_file("ru") == "index.ru.sqlite"
