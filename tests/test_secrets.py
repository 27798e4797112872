"""Hidden fields encrypted in the files (issue 16): a manager and a junior on a real git clone
of the sample workspace, each with their own key; what the junior can learn, and what the
manager sees, compared with the same workspace without secrets."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pyrage
import pytest
import yaml

from .conftest import SAMPLE, crm_in_process, plain
from .repos import commit, git

NOW = "2026-11-23T10:00:00+01:00"
DEAL = "opportunities/agence-pixel-nord-refonte-du-logo"


def hidden_costs(root: Path) -> None:
    """Every deal's cost made distinctive (913 017, 913 034…), so that any appearance of a
    hidden value (or of a profit derived from it) in an output can be found."""
    for number, path in enumerate(sorted((root / "opportunities").glob("[!_]*.yaml")), 1):
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"^cost: .*$", f"cost: {913000 + 17 * number}", text, flags=re.M)
        path.write_text(text, encoding="utf-8")


def textual_forms(value: float) -> set[str]:
    """7000 → 7000, 7 000, 7000.0, 7,000 (and with the no-break spaces of fr_FR)."""
    whole = int(value)
    spaced = f"{abs(whole):,}".replace(",", " ")
    sign = "-" if whole < 0 else ""
    return {str(whole), f"{whole}.0", f"{sign}{spaced}", f"{whole:,}", f"{sign}{abs(whole):,}"}


def hidden_values(root: Path) -> set[str]:
    forms: set[str] = set()
    for path in (root / "opportunities").glob("[!_]*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(data.get("cost"), int):
            forms |= textual_forms(data["cost"])
            forms |= textual_forms((data.get("amount") or 0) - data["cost"])
    return forms


def leaks(text: str, forms: set[str]) -> list[str]:
    text = plain(text)
    return sorted(f for f in forms if re.search(rf"(?<![\d.,]){re.escape(f)}(?![\d])", text))


@pytest.fixture
def people(tmp_path: Path) -> dict[str, dict[str, str]]:
    """A manager whose key is their SSH ed25519 key, a junior with an age key in $CRM_IDENTITY."""
    manager_home, junior_home = tmp_path / "manager", tmp_path / "junior"
    (manager_home / ".ssh").mkdir(parents=True)
    junior_home.mkdir()
    subprocess.run(
        [
            "ssh-keygen",
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-f",
            str(manager_home / ".ssh/id_ed25519"),
        ],
        check=True,
    )
    junior = pyrage.x25519.Identity.generate()
    common = {"CRM_NOW": NOW, "XDG_CONFIG_HOME": ""}
    return {
        "manager": {
            **common,
            "HOME": str(manager_home),
            "CRM_USER": "alice",
            "CRM_IDENTITY": "",
            "public": (manager_home / ".ssh/id_ed25519.pub").read_text().strip(),
        },
        "junior": {
            **common,
            "HOME": str(junior_home),
            "CRM_USER": "karim",
            "CRM_IDENTITY": str(junior),
            "public": str(junior.to_public()),
        },
    }


def as_(person: dict[str, str], *args: str | Path, cwd: Path):
    env = {k: v for k, v in person.items() if k != "public"}
    return crm_in_process(*args, cwd=cwd, env=env)


def add_keys(root: Path, people: dict[str, dict[str, str]]) -> None:
    text = (root / "crm.yaml").read_text(encoding="utf-8")
    for member, person in (("alice", people["manager"]), ("karim", people["junior"])):
        text = text.replace(f"  {member}:\n", f"  {member}:\n    age: {person['public']}\n", 1)
    (root / "crm.yaml").write_text(text, encoding="utf-8")


def outputs(person: dict[str, str], root: Path, out: Path) -> dict[str, str]:
    """What a person's everyday commands print or write: checks, records, exports, the
    dashboard, automations and reviews."""
    found: dict[str, str] = {}
    commands = {
        "check": ["check", "--format", "json"],
        "show": ["show", DEAL],
        "list": ["list", "opportunities", "--format", "json"],
        "csv": ["export", "opportunities", "--format", "csv"],
        "json": ["export", "opportunities", "--format", "json"],
        "remind": ["remind", "--dry-run"],
        "diff": ["diff", "HEAD~1..HEAD"],
        "log": ["log", DEAL],
        "dashboard": ["dashboard", "sales", "--out", str(out)],
    }
    for name, args in commands.items():
        run = as_(person, *args, cwd=root)
        assert "Traceback" not in run.stderr, (name, run.stderr)
        found[name] = run.stdout
        found[name + " (stderr)"] = run.stderr
    for path in sorted(out.rglob("*")):
        if path.suffix in (".html", ".svg", ".json", ".csv"):
            found[path.name] = path.read_text(encoding="utf-8", errors="replace")
    return found


def make_repo(root: Path, people: dict[str, dict[str, str]], secrets: bool) -> None:
    """The sample with distinctive costs, committed plain; encrypted (or not); then the manager
    changes a hidden and a visible value of one deal."""
    shutil.copytree(SAMPLE, root)
    hidden_costs(root)
    add_keys(root, people)
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "alice@atelier.example")
    git(root, "config", "user.name", "Alice Martin")
    commit(root, "plain", when="2026-11-20T10:00:00+01:00")
    if secrets:
        enabled = as_(people["manager"], "secrets", "enable", cwd=root)
        assert enabled.returncode == 0, enabled.stderr
        assert "git filter-repo" in enabled.stderr
        assert "alice" in enabled.stdout and "karim" not in enabled.stdout
    assert as_(people["manager"], "git", "setup", cwd=root).returncode == 0
    commit(root, "encrypt hidden fields", when="2026-11-21T10:00:00+01:00")
    changed = as_(people["manager"], "set", DEAL, "cost=913999", "amount=2500", cwd=root)
    assert changed.returncode == 0, changed.stderr
    commit(root, "new cost", when="2026-11-22T10:00:00+01:00")


def test_a_junior_with_a_full_clone_learns_no_hidden_value(tmp_path, people):
    root, twin = tmp_path / "ws", tmp_path / "twin"
    make_repo(root, people, secrets=True)
    make_repo(twin, people, secrets=False)
    forms = hidden_values(twin) | textual_forms(913999) | textual_forms(2500 - 913999)
    assert {"913999", "913 999", "913999.0", "913,999"} <= forms and len(forms) > 400

    for relative in git(root, "ls-files").split():
        assert not leaks((root / relative).read_text(encoding="utf-8"), forms), relative
    junior_env = {k: v for k, v in people["junior"].items() if k != "public"}
    history = git(root, "log", "-p", "HEAD~1..HEAD", env=junior_env)  # textconv as the junior
    assert "cost" in history and not leaks(history, forms)
    raw_history = git(root, "log", "-p", "--no-textconv", "HEAD~1..HEAD")  # after enabling
    assert not leaks(raw_history, forms)

    junior = outputs(people["junior"], root, tmp_path / "junior-out")
    for name, text in junior.items():
        assert not leaks(text, forms), (name, leaks(text, forms))
    assert "cost" in junior["diff"]  # "cost changed", without the values

    manager = outputs(people["manager"], root, tmp_path / "manager-out")
    plain_manager = outputs(people["manager"], twin, tmp_path / "twin-out")
    assert leaks(manager["show"], textual_forms(913999))  # the manager reads the cost
    # the commit that encrypted every file is no update of the deals: reminders and the
    # dashboard's stale deals and days since update are those of the workspace without secrets
    # (the dashboard's own output names only where it wrote its pages; the pages are compared)
    compared = ("show", "list", "csv", "json", "diff", "remind")
    assert [n for n in compared if manager[n] != plain_manager[n]] == []
    # check says the same, and names the members who may see hidden fields but have no key
    checked = json.loads(manager["check"])
    without_key = [p for p in checked if p["code"] == "member-without-key"]
    assert without_key and any("Bruno Petit" in p["message"] for p in without_key)
    assert [p for p in checked if p not in without_key] == json.loads(plain_manager["check"])
    assert manager["remind"].strip()
    pages = [name for name in plain_manager if name.endswith((".html", ".svg", ".json", ".csv"))]
    assert pages and [name for name in pages if manager.get(name) != plain_manager[name]] == []
