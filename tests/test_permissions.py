"""`crm check --since REV`: each commit's author changed only what their role may edit."""

from __future__ import annotations

import json

import pytest

from .conftest import crm
from .repos import DEAL, Repo, git


@pytest.fixture
def repo(workspace) -> Repo:
    """Alice is a manager; Bruno a junior, who may not edit opportunities.amount."""
    root = workspace()
    repository = Repo(root, root)
    repository.commit("workspace")
    git(root, "tag", "base")
    return repository


def check_since(repo: Repo, *options: str):
    return crm("-C", repo.root, "check", "--since", "base", *options)


def test_allowed_edits_pass(repo):
    repo.replace(DEAL, "amount: 12000", "amount: 13000")
    repo.commit("manager raises the amount", author="alice")
    repo.replace(DEAL, "cost: 7000", "cost: 6500")
    repo.commit("junior lowers the cost", author="bruno")
    result = check_since(repo)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_a_read_only_field_changed_names_commit_author_record_and_field(repo):
    repo.replace(DEAL, "cost: 7000", "cost: 6500")
    allowed = repo.commit("cost", author="bruno")
    repo.replace(DEAL, "amount: 12000", "amount: 15000")
    forbidden = repo.commit("amount", author="bruno")
    repo.write(
        "opportunities/new-deal.yaml",
        "name: New deal\nlist: Lead\nclient: acme\namount: 500\n",
    )
    added = repo.commit("a new deal with an amount", author="bruno")
    result = check_since(repo)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 2, result.stdout
    assert lines[0].endswith(
        f"opportunities/acme-website.yaml:6:1: error[read-only-field]: commit {forbidden} by "
        "Bruno Petit <bruno@agency.example> (junior): changed amount of Deal “Acme — Website” "
        "(opportunities/acme-website) (12\u202f000,00\xa0€ → 15\u202f000,00\xa0€), which the "
        "junior role may not edit"
    )
    assert f"commit {added} by Bruno Petit" in lines[1] and "new-deal.yaml:4:1" in lines[1]
    assert allowed not in result.stdout


def test_an_author_who_is_not_a_member_is_reported(repo):
    repo.replace(DEAL, "cost: 7000", "cost: 1")
    commit = repo.commit("outsider edit", author="eve")
    result = check_since(repo, "--format", "json")
    assert result.returncode == 1
    (problem,) = json.loads(result.stdout)
    assert problem["code"] == "unknown-author" and problem["path"] == "crm.yaml"
    assert f"commit {commit} by Eve Outsider <eve@elsewhere.example>" in problem["message"]
    assert "no member of the workspace has this e-mail" in problem["message"]


def test_a_branch_cannot_grant_itself_rights(repo):
    repo.replace("crm.yaml", "read_only: [opportunities.amount]", "read_only: []")
    repo.replace(DEAL, "amount: 12000", "amount: 99000")
    repo.commit("no more limits", author="bruno")
    result = check_since(repo)
    assert result.returncode == 1
    assert "changed roles in crm.yaml, which only an unrestricted role may do" in result.stdout
    assert "changed amount of Deal “Acme — Website”" in result.stdout  # roles as at base


def test_a_clean_merge_is_not_blamed_on_who_merged(repo):
    repo.git("checkout", "-qb", "feature")
    repo.replace(DEAL, "amount: 12000", "amount: 13000")
    repo.commit("manager work", author="alice")
    repo.git("checkout", "-q", "main")
    repo.replace(DEAL, "tags: [website]", "tags: [website, seo]")
    repo.commit("tags", author="alice")
    repo.git(
        "-c", "user.name=Bruno Petit", "-c", "user.email=bruno@agency.example",
        "merge", "-q", "--no-edit", "feature",
    )  # fmt: skip
    assert check_since(repo).returncode == 0


def test_github_annotations_and_sarif(repo):
    from sarif_pydantic import Sarif

    repo.replace(DEAL, "amount: 12000", "amount: 15000")
    repo.commit("amount", author="bruno")
    github = check_since(repo, "--format", "github")
    assert github.stdout.startswith("::error file=")
    assert ",line=6,col=1,title=read-only-field::commit " in github.stdout
    sarif = json.loads(check_since(repo, "--format", "sarif").stdout)
    log = Sarif.model_validate(sarif)  # the SARIF 2.1.0 object model
    assert log.version == "2.1.0"
    assert sarif["$schema"].endswith("sarif-2.1.0.json")
    run = sarif["runs"][0]
    assert run["tool"]["driver"]["name"] == "crm"
    assert run["tool"]["driver"]["rules"] == [{"id": "read-only-field", "name": "read-only-field"}]
    (result,) = run["results"]
    assert result["level"] == "error" and result["ruleIndex"] == 0
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"].endswith("opportunities/acme-website.yaml")
    assert location["region"] == {"startLine": 6, "startColumn": 1}


def test_lint_problems_in_sarif_too(workspace):
    root = workspace({DEAL: "name: x\nlist: Nowhere\nclient: acme\n"})
    sarif = json.loads(crm("-C", root, "check", "--format", "sarif").stdout)
    results = sarif["runs"][0]["results"]
    assert results and all(r["level"] == "error" for r in results)


# bad input


def test_unknown_revision(repo):
    result = crm("-C", repo.root, "check", "--since", "nope")
    assert result.returncode == 1 and "unknown revision “nope”" in result.stderr


def test_a_shallow_clone_without_the_base_says_how_to_fetch_it(repo, tmp_path):
    repo.replace(DEAL, "cost: 7000", "cost: 6500")
    repo.commit("cost")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo.top}", str(clone))
    result = crm("-C", clone, "check", "--since", "HEAD~1")
    assert result.returncode == 1
    assert "shallow clone" in result.stderr and "git fetch --unshallow" in result.stderr


def test_a_member_whose_role_is_unknown_is_checked_with_the_most_restricted_role(workspace):
    """Fail closed: an undefined role grants nothing, so it cannot widen edit rights."""
    root = workspace()
    config = root / "crm.yaml"
    config.write_text(config.read_text().replace("role: junior", "role: intern"))
    repository = Repo(root, root)
    repository.commit("workspace")
    git(root, "tag", "base")
    repository.replace(DEAL, "amount: 12000", "amount: 15000")
    forbidden = repository.commit("amount", author="bruno")
    result = check_since(repository)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"error[read-only-field]: commit {forbidden} by Bruno Petit" in result.stdout
