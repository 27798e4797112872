"""`crm git setup`: plain `git diff`, `git log -p` and `git merge` on record files."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from crmcli.review.merge import merge_values

from .conftest import crm
from .repos import DEAL, Repo, git


@pytest.fixture
def repo(workspace, tmp_path) -> Repo:
    """The workspace in a subfolder of the repository, set up with `crm git setup`."""
    root = workspace(
        {
            DEAL: """
                # the deal of the year
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
    top = tmp_path / "top"
    top.mkdir()
    shutil.move(root, top / "crm")
    (top / "README.md").write_text("Our CRM\n", encoding="utf-8")
    repository = Repo(top, top / "crm")
    (top / "crm/.gitattributes").write_text("*.pdf binary\n", encoding="utf-8")
    result = crm("-C", repository.root, "git", "setup")
    assert result.returncode == 0, result.stderr
    repository.commit("workspace")
    return repository


def test_setup_writes_attributes_for_record_files_only_and_keeps_other_lines(repo):
    attributes = (repo.root / ".gitattributes").read_text(encoding="utf-8")
    assert attributes.startswith("*.pdf binary\n")
    assert "opportunities/*.yaml diff=crm-opportunities merge=crm" in attributes
    assert "*/_project.yaml !diff !merge" in attributes
    textconv = git(repo.top, "config", "diff.crm-opportunities.textconv")
    assert textconv.endswith("-m crmcli -C crm git textconv opportunities\n")
    crm("-C", repo.root, "git", "setup")  # again: the block is replaced, not repeated
    assert (repo.root / ".gitattributes").read_text(encoding="utf-8") == attributes


def test_plain_git_diff_shows_the_semantic_view_of_record_files(repo):
    repo.replace(DEAL, "amount: 12000", "amount: 13500")
    repo.replace(DEAL, "client: acme", "client: globex")
    repo.write("clients/globex.yaml", "name: Globex\nlist: Clients\nemail: hello@globex.example\n")
    (repo.top / "README.md").write_text("Our CRM, version 2\n", encoding="utf-8")
    # from a subfolder, as people do
    diff = git(repo.root / "opportunities", "diff")
    assert "-amount: 12\u202f000,00\xa0€\n+amount: 13\u202f500,00\xa0€" in diff
    assert "\n-profit (computed): 5\u202f000,00\xa0€\n" in diff
    assert "\n+profit (computed): 6\u202f500,00\xa0€\n" in diff
    assert "\n-client: Acme\n" in diff and "\n+client: Globex\n" in diff
    assert "\n-client email (computed): contact@acme.example\n" in diff
    assert "-amount: 12000" not in diff  # not the raw lines
    assert "-Our CRM\n+Our CRM, version 2" in diff  # other files: the normal diff


def test_git_log_p_shows_the_semantic_view_and_schemas_stay_plain(repo):
    repo.replace(DEAL, "list: Lead", "list: Proposal sent")
    repo.replace(
        "opportunities/_project.yaml", "probability: 0.5", "probability: 0.6"
    )  # a schema file
    repo.commit("moved", author="bruno")
    log = git(repo.top, "log", "-p", "-1")
    assert "-list: Lead\n+list: Proposal sent" in log
    assert "Deal “Acme — Website”" in log
    assert "-  - {name: Proposal sent, probability: 0.5, max_days: 14}" in log


def test_an_unreadable_record_version_still_diffs_as_text(repo):
    repo.write(DEAL, "name: [broken\n")
    diff = git(repo.top, "diff")
    assert "+name: [broken" in diff and "-amount: 12\u202f000,00\xa0€" in diff


def branch_edits(repo: Repo, ours: list[tuple[str, str]], theirs: list[tuple[str, str]]):
    repo.git("checkout", "-qb", "feature")
    for old, new in theirs:
        repo.replace(DEAL, old, new)
    repo.commit("feature edits", author="bruno")
    repo.git("checkout", "-q", "main")
    for old, new in ours:
        repo.replace(DEAL, old, new)
    repo.commit("main edits")
    return subprocess.run(
        ["git", "-C", str(repo.top), "merge", "--no-edit", "feature"],
        capture_output=True,
        text=True,
        check=False,
    )


def test_two_branches_editing_different_fields_merge_without_conflict(repo):
    merged = branch_edits(
        repo,
        ours=[("amount: 12000", "amount: 15000"), ("tags: [website]", "tags: [website, seo]")],
        theirs=[
            ("cost: 7000", "cost: 8000"),
            ("tags: [website]", "tags: []"),
            ("list: Lead", "list: Proposal sent"),
            (
                "by: alice}\n",
                "by: alice}\n  - {list: Proposal sent, at: 2026-11-20T10:00:00+01:00, by: bruno}\n",
            ),
        ],
    )
    assert merged.returncode == 0, merged.stdout + merged.stderr
    text = (repo.root / DEAL).read_text(encoding="utf-8")
    assert "amount: 15000" in text and "cost: 8000" in text
    assert "list: Proposal sent" in text
    assert "tags: [seo]" in text  # their removal and our addition
    assert "  - {list: Proposal sent, at: 2026-11-20T10:00:00+01:00, by: bruno}" in text
    assert text.startswith("# the deal of the year\n")  # comments survive
    assert crm("-C", repo.root, "check").returncode == 0


def test_the_same_field_changed_two_ways_is_a_conflict_in_business_words(repo):
    merged = branch_edits(
        repo,
        ours=[("amount: 12000", "amount: 15000")],
        theirs=[("amount: 12000", "amount: 14000"), ("cost: 7000", "cost: 6500")],
    )
    assert merged.returncode != 0
    assert (
        "Deal “Acme — Website”: amount was changed two ways — 15\u202f000,00\xa0€ here, "
        "14\u202f000,00\xa0€ on the other branch (it was 12\u202f000,00\xa0€)"
    ) in merged.stdout + merged.stderr
    text = (repo.root / DEAL).read_text(encoding="utf-8")
    assert "<<<<<<< ours\namount: 15000\n=======\namount: 14000\n>>>>>>> theirs\n" in text
    assert "cost: 6500" in text  # the other field merged all the same


def test_a_version_that_is_not_a_record_falls_back_to_a_line_merge(repo):
    merged = branch_edits(
        repo,
        ours=[("amount: 12000", "amount: 15000")],
        theirs=[("name: Acme — Website", "name: [broken")],
    )
    text = (repo.root / DEAL).read_text(encoding="utf-8")
    assert "name: [broken" in text and "amount: 15000" in text  # nothing lost
    assert "Traceback" not in merged.stderr


def test_merge_values_field_by_field():
    base = {"amount": 1, "cost": 2, "tags": ["a", "b"], "note": "x"}
    ours = {"amount": 5, "cost": 2, "tags": ["a", "b", "c"]}
    theirs = {"amount": 1, "cost": 3, "tags": ["b"], "note": "x"}
    merged = merge_values(base, ours, theirs)
    assert merged.values == {"cost": 3, "tags": ["b", "c"]}
    assert merged.conflicts == []  # ours removed note, theirs kept it: ours wins
    both = merge_values({"list": "Lead"}, {"list": "Won"}, {"list": "Lost"})
    assert [c.key for c in both.conflicts] == ["list"]
