"""`crm diff`: what changed between two states of a workspace, in business words."""

from __future__ import annotations

import json
import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from crmcli.errors import CrmError
from crmcli.review.diff import open_review
from crmcli.review.render_json import review_data
from crmcli.review.render_markdown import render_markdown
from crmcli.review.render_text import render_text

from .conftest import crm
from .repos import DEAL, Repo, git

OPEN_DEAL = "opportunities/globex-seo.yaml"


@pytest.fixture
def repo(workspace, tmp_path) -> Repo:
    """BASE_FILES plus a second client and an open deal, committed by Alice."""
    root = workspace(
        {
            "clients/globex.yaml": """
                name: Globex
                list: Clients
                email: hello@globex.example
                region: Lyon
            """,
            OPEN_DEAL: """
                # a comment people keep
                name: Globex — SEO
                list: Lead
                tags: [seo]
                assignee: bruno
                client: globex
                amount: 10000
                cost: 4000
            """,
        }
    )
    repository = Repo(root, root)
    repository.commit("workspace")
    return repository


def changed(review, ref: str):
    return next(r for r in review.records if r.ref == ref)


def values(items) -> dict[str, tuple[str, str]]:
    return {v.field: (v.before, v.after) for v in items}


def test_fields_moves_tags_and_consequences_in_the_workspace_locale(repo):
    repo.replace(OPEN_DEAL, "list: Lead", "list: Proposal sent")
    repo.replace(OPEN_DEAL, "tags: [seo]", "tags: [website]")
    repo.replace(OPEN_DEAL, "amount: 10000", "amount: 12500")
    repo.replace(OPEN_DEAL, "client: globex", "client: acme")
    review = open_review(repo.root)
    deal = changed(review, "opportunities/globex-seo")
    assert deal.status == "changed" and deal.moved
    assert (deal.list_before, deal.list_after) == ("Lead", "Proposal sent")
    assert (deal.tags_added, deal.tags_removed) == (["website"], ["seo"])
    fields = values(deal.fields)
    assert fields["amount"] == ("10\u202f000,00\xa0€", "12\u202f500,00\xa0€")  # fr_FR money
    assert fields["client"] == ("Globex", "Acme")  # references by name
    computed = values(deal.computed)
    assert computed["profit"] == ("6\u202f000,00\xa0€", "8\u202f500,00\xa0€")
    # a lookup into another project follows the new reference
    assert computed["client_email"] == ("hello@globex.example", "contact@acme.example")
    text = render_text(review)
    assert "list: Lead → Proposal sent" in text
    assert "tags: +website -seo" in text
    assert "profit (computed): 6\u202f000,00\xa0€ → 8\u202f500,00\xa0€" in text


def test_summary_pipeline_value_and_weighted_forecast_before_and_after(repo):
    repo.replace(OPEN_DEAL, "list: Lead", "list: Proposal sent")  # probability 0.1 → 0.5
    repo.replace(OPEN_DEAL, "amount: 10000", "amount: 12000")
    repo.replace(DEAL, "amount: 12000", "amount: 15000")  # a won deal is not in the pipeline
    data = review_data(open_review(repo.root))
    (figures,) = data["pipeline"]["projects"]
    assert figures["project"] == "opportunities"
    assert figures["pipeline_value"] == {"before": 10000, "after": 12000}
    assert figures["weighted_forecast"] == pytest.approx({"before": 1000, "after": 6000})
    assert data["pipeline"]["scope"] == "changed"
    totals = review_data(open_review(repo.root, totals=True))["pipeline"]["projects"][0]
    assert totals["pipeline_value"] == {"before": 10000, "after": 12000}  # the only open deal


def test_added_removed_and_renamed_records(repo):
    repo.write(
        "opportunities/acme-seo.yaml",
        """
        name: Acme — SEO
        list: Lead
        client: acme
        amount: 3000
        """,
    )
    repo.git("mv", DEAL, "opportunities/acme-site.yaml")
    (repo.root / "clients/globex.yaml").unlink()
    review = open_review(repo.root)
    statuses = {r.ref: r.status for r in review.records}
    assert statuses == {
        "clients/globex": "removed",
        "opportunities/acme-seo": "added",
        "opportunities/acme-site": "renamed",
    }
    assert changed(review, "opportunities/acme-site").old_ref == "opportunities/acme-website"
    text = render_text(review)
    assert "+ new Deal “Acme — SEO” (opportunities/acme-seo) in Lead" in text
    assert "- removed Company “Globex” (clients/globex)" in text
    assert (
        "→ Deal “Acme — Website” renamed opportunities/acme-website → opportunities/acme-site"
        in text
    )


def test_ranges_staged_and_merge_base(repo):
    repo.replace(OPEN_DEAL, "amount: 10000", "amount: 11000")
    first = repo.commit("bigger", author="bruno")
    repo.replace(OPEN_DEAL, "amount: 11000", "amount: 13000")
    repo.git("add", "-A")
    repo.replace(OPEN_DEAL, "cost: 4000", "cost: 5000")  # not staged

    def amounts(review):
        deal = changed(review, "opportunities/globex-seo")
        return {k: (v.old, v.new) for k, v in ((v.field, v) for v in deal.fields)}

    assert amounts(open_review(repo.root, "HEAD~1..HEAD")) == {"amount": (10000, 11000)}
    assert amounts(open_review(repo.root, f"{first}~1..{first}")) == {"amount": (10000, 11000)}
    assert amounts(open_review(repo.root, staged=True)) == {"amount": (11000, 13000)}
    assert amounts(open_review(repo.root)) == {"amount": (11000, 13000), "cost": (4000, 5000)}
    assert amounts(open_review(repo.root, "HEAD~1")) == {
        "amount": (10000, 13000),
        "cost": (4000, 5000),
    }
    repo.git("checkout", "-q", ".")
    repo.git("reset", "-q", "--hard")
    repo.git("checkout", "-qb", "feature", "HEAD~1")
    repo.replace(DEAL, "cost: 7000", "cost: 6000")
    repo.commit("cheaper")
    review = open_review(repo.root, "main...feature")  # only the feature's own change
    assert [r.ref for r in review.records] == ["opportunities/acme-website"]
    assert len(open_review(repo.root, "main..feature").records) == 2


def test_formats_markdown_json_and_colour_only_on_a_terminal(repo):
    repo.replace(OPEN_DEAL, "amount: 10000", "amount: 12000")
    repo.write("opportunities/pipe-deal.yaml", "name: A | B *bold*\nlist: Lead\nclient: acme\n")
    markdown = crm("-C", repo.root, "diff", "--format", "markdown")
    assert markdown.returncode == 0, markdown.stderr
    assert "**Deal “Globex — SEO”** (`opportunities/globex-seo`)" in markdown.stdout
    assert "amount: 10\u202f000,00\xa0€ → **12\u202f000,00\xa0€**" in markdown.stdout
    assert "A \\| B \\*bold\\*" in markdown.stdout  # names cannot break the table or format
    assert "| Opportunities | 10\u202f000,00\xa0€ → 12\u202f000,00\xa0€ | +2\u202f000,00\xa0€" in (
        markdown.stdout
    )
    data = json.loads(crm("-C", repo.root, "diff", "--format", "json").stdout)
    assert {r["ref"] for r in data["records"]} == {
        "opportunities/globex-seo",
        "opportunities/pipe-deal",
    }
    plain = crm("-C", repo.root, "diff")
    assert "\x1b[" not in plain.stdout and "amount: 10\u202f000,00\xa0€ → 12" in plain.stdout
    assert "\x1b[32m12\u202f000,00\xa0€\x1b[0m" in run_in_terminal(repo.root, "diff")


def run_in_terminal(root: Path, *args: str) -> str:
    """The output of crm in a pseudo-terminal, as a person at a terminal sees it."""
    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    process = subprocess.Popen(
        [sys.executable, "-m", "crmcli", "-C", str(root), *args],
        stdout=follower,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=60)
    os.close(leader)
    return b"".join(chunks).decode("utf-8")


def test_as_a_member_hides_the_fields_of_their_role(repo):
    repo.replace(DEAL, "cost: 7000", "cost: 6000")
    repo.replace(DEAL, "amount: 12000", "amount: 12500")
    junior = crm("-C", repo.root, "diff", "--as", "bruno")
    assert "amount" in junior.stdout
    assert "cost" not in junior.stdout and "profit" not in junior.stdout
    assert "cost" in crm("-C", repo.root, "diff", "--as", "alice").stdout


# bad input


def test_unknown_revision_is_a_clear_error(repo):
    result = crm("-C", repo.root, "diff", "HEAD..nope")
    assert result.returncode == 1
    assert "crm: error: unknown revision “nope”" in result.stderr
    assert "Traceback" not in result.stderr
    mixed = crm("-C", repo.root, "diff", "--staged", "HEAD~1..HEAD")
    assert mixed.returncode == 2 and "--staged compares a revision with the index" in mixed.stderr


def test_outside_git_is_a_clear_error(workspace):
    result = crm("-C", workspace(), "diff")
    assert result.returncode == 1
    assert "is not inside a git repository" in result.stderr


def test_a_record_invalid_on_one_side_is_shown_and_flagged(repo):
    repo.replace(OPEN_DEAL, "amount: 10000", "amount: lots")
    repo.write(DEAL, "name: [broken\n")
    review = open_review(repo.root)
    deal = changed(review, "opportunities/globex-seo")
    assert values(deal.fields)["amount"] == ("10\u202f000,00\xa0€", "lots")
    assert any(f.startswith("in working tree: amount must be an amount") for f in deal.flags)
    broken = changed(review, "opportunities/acme-website")
    assert broken.status == "changed"
    assert any(f.startswith("in working tree: line 2: invalid YAML") for f in broken.flags)
    result = crm("-C", repo.root, "diff")
    assert result.returncode == 0 and "⚠ in working tree: line 2: invalid YAML" in result.stdout


def test_a_shallow_clone_without_the_revision_says_how_to_fetch_it(repo, tmp_path):
    repo.replace(OPEN_DEAL, "amount: 10000", "amount: 11000")
    repo.commit("second")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo.top}", str(clone))
    result = crm("-C", clone, "diff", "HEAD~1..HEAD")
    assert result.returncode == 1
    assert "unknown revision “HEAD~1”" in result.stderr
    assert "shallow clone" in result.stderr and "git fetch --unshallow" in result.stderr


def test_binary_and_other_files_are_listed_never_read_as_records(repo):
    (repo.root / "files").mkdir()
    (repo.root / "files/logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\xff" * 50)
    (repo.root / "opportunities/old.yml").write_text("name: x\n", encoding="utf-8")
    (repo.root / "notes").mkdir()
    (repo.root / "notes/plan.yaml").write_text("a: 1\n", encoding="utf-8")
    (repo.root / "opportunities/garbage.yaml").write_bytes(b"\xff\xfe\0binary")
    repo.commit("files")
    review = open_review(repo.root, "HEAD~1..HEAD")
    assert review.other_files == [
        ("A", "files/logo.png", None),
        ("A", "notes/plan.yaml", None),
        ("A", "opportunities/old.yml", None),
    ]
    garbage = changed(review, "opportunities/garbage")
    assert any("not UTF-8" in flag for flag in garbage.flags)
    result = crm("-C", repo.root, "diff", "HEAD~1..HEAD", "--format", "markdown")
    assert result.returncode == 0 and "- A `files/logo.png`" in result.stdout


def test_renamed_files_are_renames_with_their_changes(repo):
    repo.git("mv", OPEN_DEAL, "opportunities/globex-referencement.yaml")
    repo.replace("opportunities/globex-referencement.yaml", "amount: 10000", "amount: 9000")
    repo.commit("rename")
    (repo.root / "clients/globex.yaml").rename(repo.root / "clients/globex-corp.yaml")  # not git mv
    for review in (open_review(repo.root, "HEAD~1..HEAD"), open_review(repo.root)):
        renamed = [r for r in review.records if r.status == "renamed"]
        assert renamed, render_text(review)
    deal = changed(open_review(repo.root, "HEAD~1..HEAD"), "opportunities/globex-referencement")
    assert deal.old_ref == "opportunities/globex-seo"
    assert values(deal.fields)["amount"][1] == "9\u202f000,00\xa0€"
    client = changed(open_review(repo.root), "clients/globex-corp")
    assert (client.status, client.old_ref) == ("renamed", "clients/globex")


def test_nothing_changed(repo):
    assert render_text(open_review(repo.root)) == (
        "Changes from HEAD to working tree: nothing changed\n"
    )


def test_an_empty_repository_has_no_head_to_compare(tmp_path, workspace):
    root = workspace()
    git(root, "init", "-q")
    with pytest.raises(CrmError, match="unknown revision “HEAD”"):
        open_review(root)


def test_a_workspace_in_a_subfolder_of_the_repository(tmp_path, workspace):
    root = workspace()
    top = tmp_path / "top"
    shutil.move(root, top / "crm")
    (top / "README.md").write_text("hello\n", encoding="utf-8")
    repository = Repo(top, top / "crm")
    repository.commit("crm in a folder")
    repository.replace(DEAL, "amount: 12000", "amount: 13000")
    (top / "README.md").write_text("changed\n", encoding="utf-8")  # outside the workspace
    review = open_review(top / "crm")
    assert [r.ref for r in review.records] == ["opportunities/acme-website"]
    assert review.other_files == []
    markdown = render_markdown(review)
    assert "amount: 12\u202f000,00\xa0€ → **13\u202f000,00\xa0€**" in markdown
