"""`crm check --since` covers every change (issue 13, point 6): a junior who deletes a record
(by hand or `crm rm`) takes its read-only values with it; a merge that drops a change made on
another parent (`-s ours`) is responsible for it; the committer is read as well as the author,
and a mismatch between them is reported for restricted roles. Real git repositories."""

from __future__ import annotations

import pytest

from .conftest import crm
from .repos import AUTHORS, DEAL, Repo, git

ENV = {"CRM_NOW": "2026-11-23T10:00:00+01:00"}


@pytest.fixture
def repo(workspace) -> Repo:
    """Alice is a manager; Bruno a junior, who may not edit opportunities.amount."""
    root = workspace(
        {"opportunities/no-amount.yaml": "name: No amount\nlist: Lead\nclient: acme\n"}
    )
    repository = Repo(root, root)
    repository.commit("workspace")
    git(root, "tag", "base")
    return repository


def check_since(repo: Repo) -> tuple[int, list[str]]:
    result = crm("-C", repo.root, "check", "--since", "base", env=ENV)
    return result.returncode, result.stdout.splitlines()


def commit_as(repo: Repo, message: str, author: str, committer: tuple[str, str]) -> str:
    """A commit written by `author` (a key of AUTHORS) and committed by (name, email)."""
    name, email = AUTHORS[author]
    git(repo.root, "add", "-A")
    git(
        repo.root, "commit", "-qm", message, f"--author={name} <{email}>",
        env={"GIT_COMMITTER_NAME": committer[0], "GIT_COMMITTER_EMAIL": committer[1]},
    )  # fmt: skip
    return git(repo.root, "rev-parse", "--short=10", "HEAD").strip()


def test_a_junior_who_deletes_a_record_takes_its_read_only_values_with_it(repo):
    (repo.root / DEAL).unlink()
    (repo.root / "opportunities" / "no-amount.yaml").unlink()
    deleted = repo.commit("clean up", author="bruno")

    code, lines = check_since(repo)

    assert code == 1
    assert len(lines) == 1, lines  # the record without an amount is his to delete
    assert lines[0].endswith(
        f"opportunities/acme-website.yaml:6:1: error[read-only-field]: commit {deleted} by "
        "Bruno Petit <bruno@agency.example> (junior): deleted Deal “Acme — Website” "
        "(opportunities/acme-website), and with it amount (12\u202f000,00\xa0€), which the "
        "junior role may not edit"
    )


def test_a_record_removed_with_crm_rm_is_reported_too(repo):
    removed = crm(
        "-C", repo.root, "rm", "opportunities/acme-website", env={**ENV, "CRM_USER": "alice"}
    )
    assert removed.returncode == 0, removed.stderr
    commit = repo.commit("rm", author="bruno")

    code, lines = check_since(repo)

    assert code == 1
    assert f"commit {commit} by Bruno Petit" in lines[0] and "deleted Deal" in lines[0]


def test_a_manager_may_delete_a_record(repo):
    (repo.root / DEAL).unlink()
    repo.commit("lost for good", author="alice")
    assert check_since(repo) == (0, [])


def two_branches(repo: Repo, main_change: tuple[str, str], main_author: str) -> None:
    """On `feature` Alice raises the amount to 13000; on `main` `main_author` edits the deal."""
    repo.git("checkout", "-qb", "feature")
    repo.replace(DEAL, "amount: 12000", "amount: 13000")
    repo.commit("manager raises the amount", author="alice")
    repo.git("checkout", "-q", "main")
    repo.replace(DEAL, *main_change)
    repo.commit("on main", author=main_author)


def merge_ours(repo: Repo, author: str) -> None:
    two_branches(repo, ("tags: [website]", "tags: [website, seo]"), "bruno")
    merge(repo, author, "-s", "ours", "feature")


def merge(repo: Repo, author: str, *args: str, check: bool = True) -> None:
    name, email = AUTHORS[author]
    repo.git("-c", f"user.name={name}", "-c", f"user.email={email}",
             "merge", "-q", "--no-edit", *args, check=check)  # fmt: skip


def test_a_merge_that_drops_a_change_made_on_another_parent_is_reported(repo):
    merge_ours(repo, "bruno")
    merge = repo.git("rev-parse", "--short=10", "HEAD").strip()

    code, lines = check_since(repo)

    assert code == 1
    assert len(lines) == 1, lines
    assert lines[0].endswith(
        f"opportunities/acme-website.yaml:6:1: error[read-only-field]: commit {merge} by "
        "Bruno Petit <bruno@agency.example> (junior): kept 12\u202f000,00\xa0€ as amount of "
        "Deal “Acme — Website” (opportunities/acme-website), dropping the change to "
        "13\u202f000,00\xa0€ made on another parent of the merge, which the junior role may "
        "not edit"
    )


def test_a_manager_may_merge_with_ours(repo):
    merge_ours(repo, "alice")
    assert check_since(repo) == (0, [])


def test_a_conflict_resolved_with_one_side_is_not_blamed_on_who_merged(repo):
    two_branches(repo, ("amount: 12000", "amount: 14000"), "alice")
    merge(repo, "bruno", "feature", check=False)
    repo.replace(DEAL, "<<<<<<< HEAD\namount: 14000\n=======\namount: 13000\n>>>>>>> feature\n",
                 "amount: 13000\n")  # fmt: skip
    repo.commit("merge feature", author="bruno")
    assert check_since(repo) == (0, [])


def test_a_junior_committing_a_managers_authorship_is_reported(repo):
    repo.replace(DEAL, "amount: 12000", "amount: 99000")
    forged = commit_as(repo, "looks like alice", "alice", AUTHORS["bruno"])

    code, lines = check_since(repo)

    assert code == 1
    assert any(
        line.endswith(
            f"error[author-committer-mismatch]: commit {forged} was written by Alice Martin "
            "<alice@agency.example> but committed by Bruno Petit <bruno@agency.example>; for a "
            "restricted role the author and the committer must be the same member"
        )
        for line in lines
    ), lines
    assert any(
        f"commit {forged} by Bruno Petit <bruno@agency.example> (junior): changed amount" in line
        for line in lines
    ), lines


def test_a_restricted_author_committed_by_someone_else_is_reported(repo):
    repo.replace(DEAL, "cost: 7000", "cost: 6500")  # an edit the junior may make
    applied = commit_as(repo, "patch from bruno", "bruno", ("GitHub", "noreply@github.com"))
    repo.replace(DEAL, "cost: 6500", "cost: 6000")
    commit_as(repo, "alice through the web", "alice", ("GitHub", "noreply@github.com"))

    code, lines = check_since(repo)

    assert code == 1
    assert len(lines) == 1, lines  # the manager's commit is not restricted
    assert f"commit {applied} was written by Bruno Petit" in lines[0]
    assert "committed by GitHub <noreply@github.com>" in lines[0]
