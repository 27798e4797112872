"""A record that cannot be read is never dropped silently (issue 13, point 2): every command
that leaves it out names it on stderr, `--strict` makes that an error that writes nothing, and
the dashboard page and its image carry the same warning."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import crm
from .repos import commit, git
from .test_import import ENV

BROKEN = "opportunities/broken-deal.yaml"
NAMED = "opportunities/broken-deal was left out: it cannot be read (line "
FILES = {
    BROKEN: """
        name: Broken deal
        list: Lead
        amount: [12000
    """,
    "dashboards/pipeline.yaml": """
        title: Pipeline
        widgets:
          - {type: stat, title: Deals, project: opportunities}
    """,
    "automations.yaml": """
        rules:
          - name: Closing soon
            on: schedule
            project: opportunities
            when: "outcome == 'open'"
            do:
              - tag: website
    """,
}


@pytest.fixture
def broken(workspace) -> Path:
    root = workspace(FILES)
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "alice@agency.example")
    git(root, "config", "user.name", "Alice Martin")
    git(root, "config", "commit.gpgsign", "false")
    commit(root, "a workspace with one broken deal")
    return root


COMMANDS = {
    "list": ["list", "opportunities"],
    "export": ["export", "opportunities", "--format", "csv"],
    "dashboard": ["dashboard", "pipeline"],
    "remind": ["remind", "--dry-run"],
    "diff --totals": ["diff", "HEAD", "--totals"],
}


@pytest.mark.parametrize("command", COMMANDS.values(), ids=COMMANDS.keys())
def test_every_command_that_leaves_a_record_out_names_it(broken, command):
    run = crm("-C", broken, *command, env=ENV)

    assert run.returncode == 0, run.stderr
    assert run.stderr.count(NAMED) == 1, run.stderr


@pytest.mark.parametrize("command", COMMANDS.values(), ids=COMMANDS.keys())
def test_strict_makes_a_left_out_record_an_error(broken, command):
    run = crm("-C", broken, *command, "--strict", env=ENV)

    assert run.returncode == 1
    assert "1 record cannot be read; with --strict nothing is left out silently." in run.stderr
    assert f"{BROKEN}:" in run.stderr
    assert run.stdout == ""


def test_strict_writes_no_dashboard(broken):
    crm("-C", broken, "dashboard", "pipeline", "--strict", env=ENV)

    assert not (broken / ".crm" / "reports" / "pipeline").exists()


def test_the_dashboard_page_carries_the_warning(broken):
    run = crm("-C", broken, "dashboard", "pipeline", env=ENV)

    assert run.returncode == 0, run.stderr
    page = (broken / ".crm" / "reports" / "pipeline" / "pipeline.html").read_text("utf-8")
    assert '<p class="notice" role="alert">' + NAMED in page
    assert (broken / ".crm" / "reports" / "pipeline" / "pipeline.png").is_file()


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("- just\n- a list\n", "(line 1: the file holds a list, not a mapping of fields"),
        ("name: " + "x" * 1_000_001 + "\n", "(line 1: file is 1.0 MB; the limit is 1.0 MB)."),
    ],
    ids=["not a mapping", "over the size limit"],
)
def test_each_kind_of_unreadable_record_is_named(workspace, content, reason):
    root = workspace({BROKEN: content})

    run = crm("-C", root, "list", "opportunities", env=ENV)

    assert run.returncode == 0, run.stderr
    assert f"opportunities/broken-deal was left out: it cannot be read {reason}" in run.stderr


def test_a_readable_workspace_warns_of_nothing(workspace):
    run = crm("-C", workspace(), "list", "opportunities", env=ENV)

    assert run.returncode == 0 and run.stderr == ""
