"""crm merge: one record remains, every reference re-pointed, all files or none."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import crm_in_process, load, write_files
from tests.duplicate_fixtures import CRM_YAML, commit_all

FILES = {
    "crm.yaml": CRM_YAML,
    "clients/_project.yaml": """
        name: Clients
        record_name: Company
        lists: [Prospects, Clients]
        tags: [startup, public, bank]
        fields:
          email: {type: email}
          phone: {type: phone}
          region: {type: select, options: [Paris, Lyon]}
          opportunities: {type: referenced_by, from: opportunities.client}
          won_total: {type: rollup, through: opportunities, field: amount, agg: sum,
                      where: "outcome == 'won'"}
    """,
    "clients/societe-generale.yaml": """
        name: Société Générale
        list: Clients
        tags: [bank]
        email: contact@sg.example
        history:
          - {list: Prospects, at: 2025-01-10T10:00:00+01:00, by: alice}
          - {list: Clients, at: 2025-06-01T10:00:00+02:00, by: alice}
    """,
    "clients/societe-generale-2.yaml": """
        name: SOCIETE GENERALE
        list: Clients
        tags: [public]
        email: contact@sg.example
        phone: "01 42 00 00 00"
        history:
          - {list: Clients, at: 2025-03-05T09:00:00+01:00, by: alice}
    """,
    "clients/other.yaml": """
        name: Other
        list: Clients
    """,
    "opportunities/_project.yaml": """
        name: Opportunities
        record_name: Deal
        lists:
          - {name: Lead, probability: 0.1}
          - {name: Won, outcome: won}
        fields:
          amount: {type: currency}
          client: {type: reference, project: clients, required: true}
          partners: {type: reference, project: clients, multiple: true}
          client_email: {type: lookup, through: client, field: email}
    """,
    "opportunities/sg-website.yaml": """
        name: SG — Website
        list: Won
        client: societe-generale
        amount: 10000
    """,
    "opportunities/sg-app.yaml": """
        name: SG — App
        list: Won
        client: societe-generale-2  # the duplicate
        partners: [other, societe-generale-2, societe-generale]
        amount: 5000
    """,
    "opportunities/sg-seo.yaml": """
        name: SG — SEO
        list: Won
        client: societe-generale-2
        amount: 2000
    """,
    "invoices/_project.yaml": """
        name: Invoices
        record_name: Invoice
        fields:
          amount: {type: currency}
          billed_to: {type: reference, project: clients}
    """,
    "invoices/inv-1.yaml": """
        name: Invoice 1
        billed_to: societe-generale-2
        amount: 5000
    """,
}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return commit_all(write_files(tmp_path / "ws", FILES))


def run(root: Path, *args: str):
    return crm_in_process(
        "-C", root, *args, "--as", "alice", env={"CRM_NOW": "2026-11-23T10:00:00+01:00"}
    )


def tree(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.parts and ".crm" not in p.parts
    }


def shown(root: Path, reference: str) -> dict:
    result = crm_in_process("-C", root, "show", reference, "--format", "json", "--as", "alice")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["fields"]


def test_merge_rewrites_every_reference_and_keeps_the_totals(root: Path) -> None:
    before_total = shown(root, "clients/societe-generale")["won_total"]
    before_email = shown(root, "opportunities/sg-app")["client_email"]
    result = run(
        root, "merge", "clients/societe-generale", "clients/societe-generale-2", "--commit"
    )
    assert result.returncode == 0, result.stderr
    assert "clients: merged “SOCIETE GENERALE” into “Société Générale”" in result.stdout
    assert "tags: bank, public (united)" in result.stdout
    assert "(from clients/societe-generale-2)" in result.stdout
    assert "3 records re-pointed to clients/societe-generale" in result.stdout
    assert not (root / "clients/societe-generale-2.yaml").exists()
    kept = load(root, "clients/societe-generale.yaml")
    assert kept["tags"] == ["bank", "public"]
    assert kept["phone"] == "01 42 00 00 00"
    assert [entry["at"].month for entry in kept["history"]] == [1, 3, 6]  # time order
    assert load(root, "opportunities/sg-app.yaml")["client"] == "societe-generale"
    assert load(root, "opportunities/sg-app.yaml")["partners"] == ["other", "societe-generale"]
    assert load(root, "invoices/inv-1.yaml")["billed_to"] == "societe-generale"
    assert "# the duplicate" in (root / "opportunities/sg-app.yaml").read_text()
    after = shown(root, "clients/societe-generale")
    assert after["won_total"] == before_total + 7000  # the merged deals now count here
    assert shown(root, "opportunities/sg-app")["client_email"] == before_email
    check = crm_in_process("-C", root, "check", "--format", "json")
    assert check.returncode == 0 and json.loads(check.stdout) == [], check.stdout
    message = subprocess.run(
        ["git", "-C", str(root), "log", "-1", "--format=%s"], capture_output=True, text=True
    ).stdout
    assert message.strip() == "clients: merged “SOCIETE GENERALE” into “Société Générale”"
    status = subprocess.run(
        ["git", "-C", str(root), "status", "--porcelain"], capture_output=True, text=True
    ).stdout
    assert status == ""


def test_conflicts_are_refused_unless_a_rule_is_given(root: Path) -> None:
    for path, region in (
        ("clients/societe-generale.yaml", "Paris"),
        ("clients/societe-generale-2.yaml", "Lyon"),
    ):
        with (root / path).open("a", encoding="utf-8") as file:
            file.write(f"region: {region}\n")  # fmt: skip
    before = tree(root)
    refused = run(root, "merge", "clients/societe-generale", "clients/societe-generale-2")
    assert refused.returncode != 0
    assert (
        "region: Paris (clients/societe-generale) ≠ Lyon (clients/societe-generale-2)"
        in refused.stderr
    )
    assert tree(root) == before
    preferred = run(
        root, "merge", "clients/societe-generale", "clients/societe-generale-2", "--prefer", "other"
    )
    assert preferred.returncode == 0, preferred.stderr
    kept = load(root, "clients/societe-generale.yaml")
    assert kept["region"] == "Lyon" and kept["name"] == "SOCIETE GENERALE"


def test_set_decides_a_conflict_and_dry_run_writes_nothing(root: Path) -> None:
    write_files(root, {"clients/societe-generale-2.yaml": FILES["clients/societe-generale-2.yaml"]
                       .replace("contact@sg.example", "info@sg.example")})  # fmt: skip
    before = tree(root)
    dry = run(root, "merge", "clients/societe-generale", "clients/societe-generale-2",
              "--set", "email=hello@sg.example", "--dry-run")  # fmt: skip
    assert dry.returncode == 0, dry.stderr
    assert "email: hello@sg.example (set)" in dry.stdout
    assert "nothing was written" in dry.stdout
    assert tree(root) == before


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["clients/societe-generale", "clients/societe-generale"], "cannot be merged into itself"),
        (["clients/societe-generale", "opportunities/sg-app"], "only records of one project"),
        (["clients/societe-generale", "clients/nobody"], "no Company “nobody” in Clients"),
        (["clients/societe-generale"], "Missing argument"),
    ],
)
def test_bad_input_is_a_clear_error_and_writes_nothing(
    root: Path, arguments: list[str], message: str
) -> None:
    before = tree(root)
    result = run(root, "merge", *arguments)
    assert result.returncode != 0
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert tree(root) == before


def test_a_record_with_invalid_yaml_is_refused(root: Path) -> None:
    (root / "opportunities/sg-seo.yaml").write_text("name: [broken\n", encoding="utf-8")
    before = tree(root)
    referring = run(root, "merge", "clients/societe-generale", "clients/societe-generale-2")
    assert referring.returncode != 0
    assert "opportunities/sg-seo.yaml" in referring.stderr and "not valid YAML" in referring.stderr
    (root / "clients/societe-generale-2.yaml").write_text("name: [broken\n", encoding="utf-8")
    before = tree(root)
    merged = run(root, "merge", "clients/societe-generale", "clients/societe-generale-2")
    assert merged.returncode != 0 and "Traceback" not in merged.stderr
    assert tree(root) == before


def test_diff_shows_a_merge_as_one_event(root: Path) -> None:
    result = run(
        root, "merge", "clients/societe-generale", "clients/societe-generale-2", "--commit"
    )
    assert result.returncode == 0, result.stderr
    diff = crm_in_process("-C", root, "diff", "HEAD~1..HEAD", "--as", "alice")
    assert diff.returncode == 0, diff.stderr
    text = diff.stdout
    assert (
        "merged Company “SOCIETE GENERALE” (clients/societe-generale-2) into "
        "clients/societe-generale, 3 records re-pointed"
    ) in text
    assert "0 removed, 1 merged" in text
    assert "sg-seo" not in text and "inv-1" not in text  # re-pointing only: folded into the merge
    assert "sg-app" not in text
    markdown = crm_in_process("-C", root, "diff", "HEAD~1..HEAD", "--format", "markdown")
    assert "3 records re-pointed" in markdown.stdout
    data = json.loads(crm_in_process("-C", root, "diff", "HEAD~1..HEAD", "--format", "json").stdout)
    merged = [r for r in data["records"] if r["status"] == "merged"]
    assert [(r["ref"], r["merged_into"], r["repointed"]) for r in merged] == [
        ("clients/societe-generale-2", "clients/societe-generale", 3)
    ]
