"""Issue 19, points 1 and 2: `crm note`, `crm next`, `crm done` write one reviewable change
through the editor (golden `git diff`s on a real repository), `crm show` and `crm log` read
them back, and bad input is refused with a clear message and nothing written."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from . import repos
from .conftest import check, crm, plain
from .day_fixtures import ENV, day_repo, worktree_diff

DEAL = "opportunities/acme-website"


def golden(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def test_a_first_note_is_one_hunk_appending_the_activities(tmp_path: Path) -> None:
    root = day_repo(tmp_path / "ws")
    result = crm("note", DEAL, "Called, will decide Friday", "--type", "call", cwd=root, env=ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{DEAL}: call logged: Called, will decide Friday\n"
    assert worktree_diff(root) == golden(
        """
        diff --git a/opportunities/acme-website.yaml b/opportunities/acme-website.yaml
        --- a/opportunities/acme-website.yaml
        +++ b/opportunities/acme-website.yaml
        @@ -9,3 +9,5 @@ close_date: 2026-12-04
         history:
           - {list: Lead, at: 2026-10-01T09:00:00+02:00, by: alice}
           - {list: Proposal sent, at: 2026-10-20T16:40:00+02:00, by: alice}
        +activities:
        +  - {type: call, at: 2026-12-01T09:30:00+01:00, by: alice, text: 'Called, will decide Friday'}
        """
    )
    assert check(root).problems == []


def test_a_later_note_adds_one_line(tmp_path: Path) -> None:
    root = day_repo(tmp_path / "ws")
    result = crm(
        "note",
        "opportunities/initech-app",
        "Demo done",
        "--type",
        "meeting",
        "--at",
        "2026-11-30T14:00",
        cwd=root,
        env=ENV,
    )
    assert result.returncode == 0, result.stderr
    assert worktree_diff(root) == golden(
        """
        diff --git a/opportunities/initech-app.yaml b/opportunities/initech-app.yaml
        --- a/opportunities/initech-app.yaml
        +++ b/opportunities/initech-app.yaml
        @@ -6,3 +6,4 @@ amount: 30000
         next_step: {what: Send the revised quote, due: 2026-12-02, by: alice}
         activities:
           - {type: call, at: 2026-11-20T15:00:00+01:00, by: alice, text: First call}
        +  - {type: meeting, at: 2026-11-30T14:00:00+01:00, by: alice, text: Demo done}
        """
    )


def test_next_sets_the_step_for_the_assignee_on_one_line(tmp_path: Path) -> None:
    root = day_repo(tmp_path / "ws")
    result = crm("next", DEAL, "Send the revised quote", "--due", "2026-12-05", cwd=root, env=ENV)
    assert result.returncode == 0, result.stderr
    assert plain(result.stdout) == (
        f"{DEAL}: next step: Send the revised quote — due 5 déc. 2026 (Alice Martin)\n"
    )
    assert worktree_diff(root) == golden(
        """
        diff --git a/opportunities/acme-website.yaml b/opportunities/acme-website.yaml
        --- a/opportunities/acme-website.yaml
        +++ b/opportunities/acme-website.yaml
        @@ -6,6 +6,7 @@ client: acme
         amount: 12000
         cost: 7000
         close_date: 2026-12-04
        +next_step: {what: Send the revised quote, due: 2026-12-05, by: alice}
         history:
           - {list: Lead, at: 2026-10-01T09:00:00+02:00, by: alice}
           - {list: Proposal sent, at: 2026-10-20T16:40:00+02:00, by: alice}
        """
    )


def test_next_replaces_a_step_and_names_another_member(tmp_path: Path) -> None:
    root = day_repo(tmp_path / "ws")
    result = crm(
        "next",
        "opportunities/globex-seo",
        "Send the audit",
        "--due",
        "tomorrow",
        "--assignee",
        "Alice Martin",
        cwd=root,
        env=ENV,
    )
    assert result.returncode == 0, result.stderr
    assert "-next_step: {what: Call the CTO, due: 2026-11-28, by: bruno}\n" in worktree_diff(root)
    assert "+next_step: {what: Send the audit, due: 2026-12-02, by: alice}\n" in worktree_diff(root)


def test_done_logs_the_step_as_an_activity_and_clears_it(tmp_path: Path) -> None:
    root = day_repo(tmp_path / "ws")
    result = crm("done", "opportunities/initech-app", "--type", "email", cwd=root, env=ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "opportunities/initech-app: done: Send the revised quote\n"
    assert worktree_diff(root) == golden(
        """
        diff --git a/opportunities/initech-app.yaml b/opportunities/initech-app.yaml
        --- a/opportunities/initech-app.yaml
        +++ b/opportunities/initech-app.yaml
        @@ -3,6 +3,6 @@ list: Lead
         assignee: alice
         client: acme
         amount: 30000
        -next_step: {what: Send the revised quote, due: 2026-12-02, by: alice}
         activities:
           - {type: call, at: 2026-11-20T15:00:00+01:00, by: alice, text: First call}
        +  - {type: email, at: 2026-12-01T09:30:00+01:00, by: alice, text: Send the revised quote}
        """
    )


def test_note_commit_commits_exactly_the_record(tmp_path: Path) -> None:
    root = day_repo(tmp_path / "ws")
    result = crm(
        "note", DEAL, "Sent the brochure", "--type", "email", "--commit", cwd=root, env=ENV
    )
    assert result.returncode == 0, result.stderr
    assert repos.git(root, "status", "--porcelain") == ""
    assert repos.git(root, "log", "-1", "--format=%s") == (
        f"{DEAL}: email logged: Sent the brochure\n"
    )


def test_show_lists_the_latest_activities_and_the_next_step(tmp_path: Path) -> None:
    root = day_repo(tmp_path / "ws")
    crm("note", "opportunities/initech-app", "Quote asked", cwd=root, env=ENV)
    shown = plain(crm("show", "opportunities/initech-app", cwd=root, env=ENV).stdout)
    assert "next step  Send the revised quote — due 2 déc. 2026 (Alice Martin)" in shown
    activities = shown[shown.index("Activities") :].splitlines()
    assert activities[1].split() == ["when", "type", "by", "what"]
    assert "Quote asked" in activities[3] and "note" in activities[3]  # newest first
    assert "First call" in activities[4] and "call" in activities[4]


def test_log_shows_each_activity_as_it_was_added(tmp_path: Path) -> None:
    root = day_repo(tmp_path / "ws")
    crm("note", DEAL, "Called", "--type", "call", "--commit", cwd=root, env=ENV)
    crm("note", DEAL, "Wrote", "--type", "email", "--commit", cwd=root, env=ENV)
    log = plain(crm("log", DEAL, cwd=root, env=ENV).stdout)
    assert "activity: + email — 1 déc. 2026, 09:30:00 (Alice Martin): Wrote" in log
    assert "activity: + call — 1 déc. 2026, 09:30:00 (Alice Martin): Called" in log
    assert log.count("activity: +") == 2  # the second commit shows only its own entry


def test_formulas_read_last_activity_and_days_since_activity(tmp_path: Path) -> None:
    root = day_repo(tmp_path / "ws")
    listed = crm(
        "list",
        "opportunities",
        "--where",
        "days_since_activity >= 10",
        "--columns",
        "id,days_since_activity,has_next_step,next_step_overdue",
        "--format",
        "json",
        cwd=root,
        env=ENV,
    )
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout) == [
        {
            "id": "initech-app",
            "days_since_activity": 11,
            "has_next_step": True,
            "next_step_overdue": False,
        }
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("note", "opportunities/nope", "Called"), "no Deal “nope” in Opportunities"),
        (("note", DEAL, "   "), "the note is empty"),
        (("note", DEAL, "x", "--type", "fax"), "“fax” is not an activity type"),
        (("note", DEAL, "x", "--at", "monday"), "cannot read “monday” as a date and time"),
        (("note", "clients/acme", "x"), "Clients does not keep activities"),
        (("next", DEAL, "Quote", "--due", "someday"), "due date: cannot read “someday” as a date"),
        (("next", DEAL, "Quote", "--assignee", "zoe"), "“zoe” is not a member"),
        (("done", DEAL), "opportunities/acme-website has no next step; set one with crm next"),
        (("done", "opportunities/nope"), "no Deal “nope” in Opportunities"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    root = day_repo(tmp_path / "ws")
    result = crm(*args, cwd=root, env=ENV)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert repos.git(root, "status", "--porcelain", "--untracked-files=all") == ""


def test_a_role_that_may_not_see_next_steps_reads_nothing_derived_from_them(
    tmp_path: Path,
) -> None:
    root = day_repo(tmp_path / "ws")
    as_junior = {**ENV, "CRM_USER": "bruno"}
    where = crm("list", "opportunities", "--where", "next_step_overdue", cwd=root, env=as_junior)
    assert where.returncode == 2
    assert "hidden from the junior role: opportunities.next_step_overdue" in where.stderr
    shown = crm("show", "opportunities/globex-seo", cwd=root, env=as_junior)
    assert shown.returncode == 0 and "Call the CTO" not in shown.stdout
