"""Issue 14, `crm dashboard` on a large workspace: what the figures share and what is read
once must not go stale. Widgets filtering alike share one selection, not each other's notes;
a history edited by hand re-dates a won deal on the next run (index and all); a commit made
after the last run dates a deal's last update (git is asked in the background, or when read
if there is no temporary folder for its answer); charts
drawn on two cores are the very bytes drawn on one."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import pytest

from crmcli.reports.figures import Chart, Stat
from crmcli.reports.report import ReportRequest, dashboard_data

from .conftest import crm, environment
from .repos import git

NOW = "2026-11-23T12:00:00+01:00"
WON = """
    name: Acme — Website
    list: Won
    client: acme
    amount: 12000
    created: 2026-04-01T10:00:00+02:00
    history:
      - {list: Lead, at: 2026-04-01T10:00:00+02:00, by: alice}
      - {list: Won, at: 2026-06-10T10:00:00+02:00, by: alice}
"""
UNDATED = """
    name: Acme — SEO
    list: Lead
    client: acme
    amount: 3000
"""
DASHBOARD = """
    title: Test
    filters: {projects: [opportunities]}
    widgets:
      - {type: bar, title: New per month, measure: count, by: month(created)}
      - {type: stat, title: Dated by creation, measure: count, date: created}
      - {type: bar, title: Won per month, measure: count, by: month(won_at),
         period: {from: 2026-01-01, to: 2026-12-31}}
      - {type: stat, title: Stale, measure: stale(30)}
"""


def figures(root: Path) -> dict[str, object]:
    with environment({"CRM_NOW": NOW, "CRM_USER": "alice"}):
        data = dashboard_data(root, ReportRequest("test"))
    return {figure.title: figure for figure in data.figures}


def won_per_month(root: Path) -> dict[str, float | None]:
    chart = figures(root)["Won per month"]
    assert isinstance(chart, Chart)
    return {c: v for c, v in zip(chart.categories, chart.series[0].values, strict=True) if v}


def stale(root: Path) -> float | None:
    stat = figures(root)["Stale"]
    assert isinstance(stat, Stat)
    return stat.value


def two_deals(workspace, dashboard: str) -> Path:
    """A workspace with a won, dated deal, an undated lead, and the dashboard "test"."""
    return workspace(
        {
            "opportunities/acme-website.yaml": WON,
            "opportunities/acme-seo.yaml": UNDATED,
            "dashboards/test.yaml": dashboard,
        }
    )


@pytest.fixture
def root(workspace) -> Path:
    return two_deals(workspace, DASHBOARD)


def test_widgets_filtering_alike_share_records_but_not_notes(root: Path) -> None:
    chart, stat = figures(root)["New per month"], figures(root)["Dated by creation"]
    assert isinstance(chart, Chart) and isinstance(stat, Stat)
    assert [note for note in chart.notes if "no created date" in note]  # the SEO deal
    assert stat.value == 2 and stat.notes == ()  # the chart's note stays the chart's


def test_a_history_edited_by_hand_re_dates_a_won_deal_on_the_next_run(root: Path) -> None:
    assert won_per_month(root) == {"juin 2026": 1}
    assert won_per_month(root) == {"juin 2026": 1}  # served by the index this time
    deal = root / "opportunities/acme-website.yaml"
    deal.write_text(deal.read_text().replace("2026-06-10", "2026-08-10"), encoding="utf-8")
    assert won_per_month(root) == {"août 2026": 1}


def test_a_commit_after_the_last_run_dates_the_last_update(root: Path) -> None:
    (root / "opportunities/acme-website.yaml").unlink()  # a won deal is never stale
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "add", when="2026-09-01T10:00:00+02:00", env=_AUTHOR)
    assert stale(root) == 1  # added on 1 September, quiet since
    assert stale(root) == 1
    deal = root / "opportunities/acme-seo.yaml"
    deal.write_text(deal.read_text().replace("3000", "3500"), encoding="utf-8")
    git(root, "commit", "-qam", "bigger", when="2026-11-20T10:00:00+01:00", env=_AUTHOR)
    assert stale(root) == 0


def test_without_a_temporary_folder_git_is_asked_when_read(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (root / "opportunities/acme-website.yaml").unlink()
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "add", when="2026-09-01T10:00:00+02:00", env=_AUTHOR)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "no-such-folder"))
    assert stale(root) == 1


_AUTHOR = {
    "GIT_AUTHOR_NAME": "Alice Martin",
    "GIT_AUTHOR_EMAIL": "alice@agency.example",
    "GIT_COMMITTER_NAME": "Alice Martin",
    "GIT_COMMITTER_EMAIL": "alice@agency.example",
}

CHARTS = """
    title: Charts
    filters: {projects: [opportunities]}
    widgets:
      - {type: stat, title: Deals, measure: count}
      - {type: bar, title: By stage, measure: count, by: list}
      - {type: pie, title: Amount by stage, measure: sum(amount), by: list}
      - {type: bar, title: New per month, measure: count, by: month(created)}
      - {type: pie, title: Deals by stage, measure: count, by: list}
      - {type: board, title: Board}
      - {type: table, title: Amounts, measure: sum(amount), by: list}
"""


def test_charts_drawn_on_two_cores_are_the_bytes_drawn_on_one(workspace, tmp_path: Path) -> None:
    root = workspace({"opportunities/acme-website.yaml": WON, "dashboards/charts.yaml": CHARTS})
    drawn = {}
    for processes in ("1", "2"):
        out = tmp_path / f"out-{processes}"
        env = {"CRM_NOW": NOW, "CRM_USER": "alice", "CRM_PROCESSES": processes}
        result = crm("-C", root, "dashboard", "charts", "--out", out, env=env)
        assert result.returncode == 0, result.stderr
        drawn[processes] = {
            path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in out.iterdir()
        }
    assert len(drawn["1"]) == 7  # the page, the whole dashboard, five charts (one the child's)
    assert drawn["2"] == drawn["1"]
