"""Issue 15, point 6: `crm init --lang en|fr|ru` writes the agency CRM in that language, with
its formats, the person running it as the one member, and a git repository; nothing else."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from .conftest import REPO, crm

STAGES = {
    "fr": [
        "Non qualifié",
        "Qualification",
        "Rédaction de la proposition",
        "Proposition envoyée",
        "Négociations",
        "Contrat en attente de signature",
        "Gagné",
        "Perdu",
        "N/A",
    ],
    "ru": [
        "Не квалифицирован",
        "Квалификация",
        "Написание предложения",
        "Предложение отправлено",
        "Переговоры",
        "Контракт на подписании",
        "Выиграно",
        "Проиграно",
        "Н/Д",
    ],
}
TEMPLATE = REPO / "crmcli/templates/sales"
STAGES["en"] = [  # the template's own, written in English
    stage["name"]
    for stage in yaml.safe_load((TEMPLATE / "opportunities/_project.yaml").read_text())["lists"]
]
FORMATS = {
    "fr": ("fr_FR", "EUR", "Montant"),
    "ru": ("ru_RU", "RUB", "Сумма"),
    "en": ("en_US", "USD", "Amount"),
}


def git_identity(tmp_path: Path, name: str | None, email: str | None) -> dict[str, str]:
    """An environment whose only git configuration is this identity (or none)."""
    config = tmp_path / "gitconfig"
    lines = (
        ["[user]"]
        + ([f"  name = {name}"] if name else [])
        + ([f"  email = {email}"] if email else [])
    )
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"GIT_CONFIG_GLOBAL": str(config), "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(tmp_path)}


def read(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("language", ["fr", "ru", "en"])
def test_init_writes_the_crm_in_the_language_and_checks_clean(tmp_path, language):
    env = git_identity(tmp_path, "Élodie Ковалёва", "elodie@agence.example")
    target = tmp_path / "crm"
    created = crm("init", target, "--lang", language, "--with-examples", env=env)
    assert created.returncode == 0, created.stderr

    settings = read(target / "crm.yaml")
    locale, currency, amount_label = FORMATS[language]
    assert (settings["locale"], settings["currency"]) == (locale, currency)
    assert settings["members"] == {
        "elodie-kovaleva": {
            "name": "Élodie Ковалёва",
            "email": "elodie@agence.example",
            "role": "manager",
        }
    }
    schema = read(target / "opportunities/_project.yaml")
    assert [stage["name"] for stage in schema["lists"]] == STAGES[language]
    assert all(key.isascii() for key in schema["fields"])
    assert schema["fields"]["amount"]["label"] == amount_label

    every_file = "".join(p.read_text(encoding="utf-8") for p in target.rglob("*.yaml"))
    for sample in ("make_sample_workspace", "localhost", "mailto", "alice", "json://"):
        assert sample not in every_file

    deals = [read(p) for p in (target / "opportunities").glob("[!_]*.yaml")]
    assert len(deals) >= 3
    assert {deal["assignee"] for deal in deals} == {"elodie-kovaleva"}
    assert all(p.stem.isascii() for p in target.rglob("*.yaml"))  # transliterated ids
    assert {deal["list"] for deal in deals} <= set(STAGES[language])

    checked = crm("-C", target, "check", env={**env, "CRM_USER": "elodie-kovaleva"})
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "0 errors, 0 warnings" in checked.stdout + checked.stderr

    assert (target / ".git").is_dir()
    status = subprocess.run(
        ["git", "-C", target, "log"], capture_output=True, text=True, env=env, check=False
    )
    assert status.returncode != 0  # a repository with no commit: nothing was committed


def test_init_inside_a_repository_makes_no_new_one(tmp_path):
    env = git_identity(tmp_path, "Jane Doe", "jane@example.org")
    subprocess.run(["git", "init", "-q", tmp_path / "repo"], check=True)
    target = tmp_path / "repo" / "crm"
    assert crm("init", target, "--lang", "fr", env=env).returncode == 0
    assert not (target / ".git").exists()
    assert list((target / "opportunities").glob("[!_]*.yaml")) == []


def test_without_a_git_identity_the_member_is_me_and_the_user_is_told(tmp_path):
    env = git_identity(tmp_path, None, None)
    target = tmp_path / "crm"
    created = crm("init", target, "--lang", "ru", env=env)
    assert created.returncode == 0, created.stderr
    assert read(target / "crm.yaml")["members"] == {
        "me": {"name": "Me", "email": "me@example.com", "role": "manager"}
    }
    assert "«me»" in created.stdout and "crm.yaml" in created.stdout  # in Russian: --lang ru
    checked = crm("-C", target, "check", env={**env, "CRM_USER": "me"})
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_an_unknown_language_is_refused_and_writes_nothing(tmp_path):
    target = tmp_path / "crm"
    refused = crm("init", target, "--lang", "de")
    assert refused.returncode == 2
    assert "en, fr, ru" in refused.stderr
    assert not target.exists()


def test_the_french_dashboard_renders_the_examples_in_french_formats(tmp_path):
    env = git_identity(tmp_path, "Jane Doe", "jane@example.org")
    target = tmp_path / "crm"
    assert crm("init", target, "--lang", "fr", "--with-examples", env=env).returncode == 0
    listed = crm(
        "-C",
        target,
        "list",
        "opportunities",
        "--columns",
        "name,amount",
        "--sort",
        "name",
        env={**env, "CRM_USER": "jane-doe"},
    )
    assert listed.returncode == 0, listed.stderr
    assert "12\u202f000,50\xa0€" in listed.stdout
