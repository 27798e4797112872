"""One timeline: automations (`crm remind`) and dashboards date a record the same way, and
only `crmcli/git/` runs git.

The deal below has no `updated:` and no `history`, so its dates come from git: added on
5 January, its amount changed on 1 February, and a `crm fmt`-like commit on 1 March that only
re-lays the file out — no update."""

from __future__ import annotations

import ast
import json
import os
import subprocess
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_skeleton

from crmcli.core.loader import Loader
from crmcli.git.log import read_log
from crmcli.git.timeline import Timeline
from crmcli.reports.figures import Chart, RecordTable, Stat
from crmcli.reports.report import ReportRequest, dashboard_data

from .conftest import REPO, crm

PARIS = ZoneInfo("Europe/Paris")
NOW = "2026-03-10T12:00:00+01:00"
DEAL = "opportunities/bolt-app.yaml"
ADDED = "name: Bolt — App\nlist: Proposal sent\nassignee: alice\nclient: acme\namount: 5000\n"
BIGGER = ADDED.replace("amount: 5000", "amount: 6000")
FILES = {
    "crm.yaml": """
        name: Test Agency
        locale: en_GB
        currency: EUR
        timezone: Europe/Paris
        members:
          alice: {name: Alice Martin, email: alice@agency.example, notify: ["json://localhost/crm"]}
    """,
    "automations.yaml": """
        rules:
          - name: Quiet deal
            on: schedule
            project: opportunities
            when: "outcome == 'open' and days_since_update >= 20"
            do:
              - notify: assignee
                message: "{{ record.name }}: {{ days_since_update }} days quiet"
    """,
    "dashboards/test.yaml": """
        title: Test
        period: {from: 2026-01-01, to: 2026-03-31}
        widgets:
          - {type: stat, title: Stale, project: opportunities, measure: stale(20)}
          - {type: table, title: Stale deals, project: opportunities, measure: stale(20), columns: [name]}
          - {type: bar, title: Won, project: opportunities, measure: count, by: month(won_at)}
    """,
}


def commit(root: Path, message: str, when: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    for args in (["add", "-A"], ["commit", "-qm", message]):
        subprocess.run(["git", "-C", str(root), *args], check=True, env=env)


@pytest.fixture
def repo(workspace):
    root = workspace(FILES)
    for args in (["init", "-q"], ["config", "user.email", "a@agency.example"]):
        subprocess.run(["git", "-C", str(root), *args], check=True)
    subprocess.run(["git", "-C", str(root), "config", "user.name", "Alice"], check=True)
    (root / DEAL).write_text(ADDED, encoding="utf-8")
    commit(root, "add", "2026-01-05T10:00:00+01:00")
    return root


def relaid(text: str) -> str:
    """The same data laid out otherwise (keys reordered, the list quoted, a comment), as a
    `crm fmt` or a tidy-up by hand leaves it."""
    name, listed, *rest = text.splitlines(keepends=True)
    quoted = listed.replace("list: ", "list: '").replace("\n", "'\n")
    return "".join(["# Bolt's app\n", quoted, name, *rest])


def reminders(root: Path) -> list[str]:
    result = crm(
        "-C", root, "remind", "--dry-run", "--now", NOW, "--format", "json", env={"CRM_NOW": NOW}
    )
    assert result.returncode == 0, result.stderr
    return [outcome["detail"] for outcome in json.loads(result.stdout)]


def figures(root: Path) -> dict[str, object]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CRM_NOW", NOW)
        data = dashboard_data(root, ReportRequest("test"))
    return {figure.title: figure for figure in data.figures}


def stale_names(root: Path) -> list[str]:
    stat, table = figures(root)["Stale"], figures(root)["Stale deals"]
    assert isinstance(stat, Stat) and isinstance(table, RecordTable)
    assert stat.value == len(table.rows)
    return [row[0] for row in table.rows]


def test_a_layout_only_commit_is_no_update_for_automations_nor_dashboards(repo):
    (repo / DEAL).write_text(BIGGER, encoding="utf-8")
    commit(repo, "bigger", "2026-02-01T10:00:00+01:00")
    (repo / DEAL).write_text(relaid(BIGGER), encoding="utf-8")
    commit(repo, "fmt", "2026-03-01T10:00:00+01:00")

    assert any("Bolt — App: 37 days quiet" in detail for detail in reminders(repo))
    assert stale_names(repo) == ["Bolt — App"]  # quiet since 1 February, not 1 March


def test_with_only_the_add_and_a_layout_commit_the_add_is_the_last_update(repo):
    (repo / DEAL).write_text(relaid(ADDED), encoding="utf-8")
    commit(repo, "fmt", "2026-03-01T10:00:00+01:00")
    record = Loader(repo).load().projects["opportunities"].records["bolt-app"]
    timeline = Timeline(repo, PARIS)
    assert timeline.last_update(record) == datetime(2026, 1, 5, 10, tzinfo=PARIS)
    timeline.close()

    assert any("Bolt — App: 64 days quiet" in detail for detail in reminders(repo))
    assert stale_names(repo) == ["Bolt — App"]


def test_a_recent_data_change_is_an_update_for_both(repo):
    (repo / DEAL).write_text(relaid(BIGGER), encoding="utf-8")
    commit(repo, "bigger and re-laid out", "2026-03-01T10:00:00+01:00")
    assert not any("Bolt — App" in detail for detail in reminders(repo))
    assert stale_names(repo) == []


def test_won_at_is_when_the_deal_entered_a_won_list_for_both(repo):
    won = BIGGER.replace("Proposal sent", "Won")
    (repo / DEAL).write_text(won, encoding="utf-8")
    commit(repo, "won by hand", "2026-02-01T10:00:00+01:00")
    (repo / DEAL).write_text(relaid(won), encoding="utf-8")
    commit(repo, "fmt", "2026-03-01T10:00:00+01:00")

    project = Loader(repo).load().projects["opportunities"]
    record = project.records["bolt-app"]
    timeline = Timeline(repo, PARIS)
    won_at = datetime(2026, 2, 1, 10, tzinfo=PARIS)
    assert timeline.won_at(project, record) == won_at
    assert timeline.entered_list(record) == won_at  # what days_in_list counts from
    assert timeline.days_in_list(record, datetime.fromisoformat(NOW)) == 37
    timeline.close()

    chart = figures(repo)["Won"]
    assert isinstance(chart, Chart)
    won = dict(zip(chart.categories, chart.series[0].values, strict=True))
    assert won[format_skeleton("yMMM", won_at, locale="en_GB")] == 1  # acme was won in January
    assert not won[format_skeleton("yMMM", datetime(2026, 3, 1), locale="en_GB")]
    as_of = Timeline(repo, PARIS, read_log(repo, "-1", "HEAD~1")[0].id)
    assert as_of.won_at(project, record) == won_at  # the dashboard's --as-of timeline agrees
    as_of.close()


def test_the_log_reader_gives_both_people_and_aware_dates(repo):
    (commit_,) = read_log(repo, paths=[DEAL], changes=True)
    assert (commit_.author, commit_.email, commit_.committer) == (
        "Alice",
        "a@agency.example",
        "Alice",
    )
    assert commit_.date == commit_.committed == datetime(2026, 1, 5, 10, tzinfo=PARIS)
    assert commit_.date.tzinfo is not None and commit_.parents == ()
    assert [(c.status, c.path) for c in commit_.changes if c.path == DEAL] == [("A", DEAL)]


def _runs_git(tree: ast.Module) -> bool:
    imports_subprocess = any(
        (isinstance(node, ast.Import) and any(a.name == "subprocess" for a in node.names))
        or (isinstance(node, ast.ImportFrom) and node.module == "subprocess")
        for node in ast.walk(tree)
    )
    names_git = any(
        isinstance(node, ast.Constant) and node.value == "git" for node in ast.walk(tree)
    )
    return imports_subprocess and names_git


def test_only_the_git_package_runs_git():
    package = REPO / "crmcli"
    offenders = [
        path.relative_to(REPO).as_posix()
        for path in sorted(package.rglob("*.py"))
        if package / "git" not in path.parents
        and _runs_git(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert offenders == []
    assert _runs_git(ast.parse((package / "git" / "run.py").read_text(encoding="utf-8")))


def test_crm_log_and_the_timeline_agree_on_when_the_deal_entered_its_lists(repo):
    moved = crm("-C", repo, "move", "opportunities/bolt-app", "Won", env={"CRM_NOW": NOW})
    assert moved.returncode == 0, moved.stderr
    commit(repo, "won", "2026-03-10T12:05:00+01:00")
    (repo / DEAL).write_text(
        (repo / DEAL).read_text(encoding="utf-8").replace("list: Won\n", "list: Lost\n", 1),
        encoding="utf-8",
    )
    commit(repo, "lost after all, by hand", "2026-03-11T09:00:00+01:00")

    log = crm("-C", repo, "log", "opportunities/bolt-app", "-f", "json")
    assert log.returncode == 0, log.stderr
    history = json.loads(log.stdout)["list_history"]
    assert [(m["list"], m["source"] == "history") for m in history] == [
        ("Proposal sent", False),
        ("Won", True),
        ("Lost", False),
    ]
    record = Loader(repo).load().projects["opportunities"].records["bolt-app"]
    timeline = Timeline(repo, PARIS)
    entered = timeline.entered_list(record)
    assert [move.at for move in timeline.list_history(record)][-1] == entered
    assert datetime.fromisoformat(history[-1]["at"]) == entered
    assert entered == datetime(2026, 3, 11, 9, tzinfo=PARIS)
    timeline.close()
