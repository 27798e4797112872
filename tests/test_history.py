"""`crm log PROJECT/ID`: a record's history from git, commit by commit, and its list history."""

from __future__ import annotations

import json

import pytest

from .conftest import crm
from .repos import DEAL, Repo


@pytest.fixture
def repo(workspace) -> Repo:
    root = workspace(
        {
            DEAL: """
                name: Acme — Website
                list: Lead
                tags: [website]
                assignee: alice
                client: acme
                amount: 12000
                cost: 7000
                history:
                  - {list: Lead, at: 2026-11-02T09:00:00+01:00, by: alice}
            """
        }
    )
    repository = Repo(root, root)
    repository.commit("new deal")
    repository.replace(DEAL, "amount: 12000", "amount: 14000")
    repository.replace(DEAL, "tags: [website]", "tags: [website, seo]")
    repository.commit("bigger scope", author="bruno")
    repository.replace(DEAL, "list: Lead", "list: Proposal sent")  # by hand: no history entry
    repository.commit("proposal sent", author="alice")
    repository.git("mv", DEAL, "opportunities/acme-site.yaml")
    repository.commit("shorter id")
    return repository


def test_each_commit_with_author_date_and_semantic_changes(repo):
    result = crm("-C", repo.root, "log", "opportunities/acme-site")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("Deal “Acme — Website” (opportunities/acme-site)")
    blocks = out.split("\n\n")
    assert "shorter id" in blocks[1] and "renamed from opportunities/acme-website" in blocks[1]
    assert "Alice Martin <alice@agency.example>" in blocks[2]
    assert "list: Lead → Proposal sent" in blocks[2]
    assert "Bruno Petit <bruno@agency.example>" in blocks[3]
    assert "amount: 12\u202f000,00\xa0€ → 14\u202f000,00\xa0€" in blocks[3]
    assert "tags: +seo" in blocks[3]
    assert "created in Lead" in blocks[4]


def test_the_list_history_joins_the_records_history_and_hand_edits_seen_in_git(repo):
    data = json.loads(crm("-C", repo.root, "log", "opportunities/acme-site", "-f", "json").stdout)
    moves = [(m["list"], m["by"], m["source"]) for m in data["list_history"]]
    assert moves[0] == ("Lead", "Alice Martin", "history")
    assert moves[1][:2] == ("Proposal sent", "Alice Martin")
    assert moves[1][2] != "history"  # a commit id: the hand edit git saw
    assert [c["author"] for c in data["commits"]] == [
        "Alice Martin",
        "Alice Martin",
        "Bruno Petit",
        "Alice Martin",
    ]
    assert data["commits"][2]["change"]["fields"][0]["after"] == 14000


def test_an_unknown_record_or_project_is_a_usage_error(repo):
    result = crm("-C", repo.root, "log", "opportunities/acme-sit")
    assert result.returncode == 2
    assert "git has no history for opportunities/acme-sit" in result.stderr
    assert "did you mean “acme-site”" in result.stderr
    result = crm("-C", repo.root, "log", "deals/acme-site")
    assert result.returncode == 2 and "not PROJECT/ID of this workspace" in result.stderr


def test_outside_git_there_is_no_history(workspace):
    result = crm("-C", workspace(), "log", "opportunities/acme-website")
    assert result.returncode == 1 and "not inside a git repository" in result.stderr
