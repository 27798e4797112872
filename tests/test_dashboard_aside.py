"""Issue 14, `crm dashboard` on two cores: a forked child computes the charts while this
process computes the cards and tables (reports/aside.py). Its figures must be the ones computed
here, read through its own connection to the index, re-dated when a history changes between
runs; a child that fails leaves every figure to this process."""

from __future__ import annotations

from pathlib import Path

import pytest

from crmcli.core.forked import started
from crmcli.index.store import IndexStore
from crmcli.reports import aside
from crmcli.reports.figures import Chart, DashboardData, Figure, Omitted
from crmcli.reports.report import ReportRequest, dashboard_data
from crmcli.reports.spec import Widget

from .conftest import environment
from .test_dashboard_shared_work import NOW, two_deals

DASHBOARD = """
    title: Test
    filters: {projects: [opportunities]}
    widgets:
      - {type: stat, title: Open, measure: sum(amount), where: "outcome == 'open'"}
      - {type: bar, title: Won per month, measure: sum(amount), by: month(won_at),
         period: {from: 2026-01-01, to: 2026-12-31}}
      - {type: stat, title: Stale, measure: stale(30)}
      - {type: pie, title: By stage, measure: count, by: list}
      - {type: bar, title: New per month, measure: count, by: month(created)}
      - {type: table, title: Amounts, measure: sum(amount), by: list}
      - {type: board, title: Board}
"""


@pytest.fixture
def root(workspace) -> Path:
    return two_deals(workspace, DASHBOARD)


def computed(root: Path, processes: str, cache: bool = True) -> DashboardData:
    with environment({"CRM_NOW": NOW, "CRM_USER": "alice", "CRM_PROCESSES": processes}):
        return dashboard_data(root, ReportRequest("test", cache=cache))


def won_per_month(data: DashboardData) -> dict[str, float | None]:
    chart = next(f for f in data.figures if f.title == "Won per month")
    assert isinstance(chart, Chart)
    return {c: v for c, v in zip(chart.categories, chart.series[0].values, strict=True) if v}


def test_the_childs_figures_are_those_computed_here(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = computed(root, "1")  # builds the index too
    monkeypatch.setattr(aside, "SHARED_FROM", 0)
    assert computed(root, "2") == here  # the charts from the child, served by the index
    assert computed(root, "2") == here
    assert computed(root, "2", cache=False) == here  # the workspace read from its files


def test_a_history_edited_between_runs_re_dates_the_childs_chart(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(aside, "SHARED_FROM", 0)
    assert won_per_month(computed(root, "2")) == {"juin 2026": 12000}
    deal = root / "opportunities/acme-website.yaml"
    deal.write_text(deal.read_text().replace("2026-06-10", "2026-08-10"), encoding="utf-8")
    assert won_per_month(computed(root, "2")) == {"août 2026": 12000}


def widget(index: int, kind: str) -> Widget:
    return Widget(index, kind, f"Widget {index}", "", ("opportunities",), None)


def test_the_child_takes_the_charts_of_a_large_dashboard_on_two_cores(monkeypatch) -> None:
    widgets = [widget(0, "stat"), widget(1, "bar"), widget(2, "table"), widget(3, "pie")]
    assert aside.aside_indices(widgets) == [1, 3]
    monkeypatch.setenv("CRM_PROCESSES", "2")
    assert aside.worth_forking(widgets, [1, 3], aside.SHARED_FROM)
    assert not aside.worth_forking(widgets, [1, 3], aside.SHARED_FROM - 1)
    assert not aside.worth_forking(widgets, [], aside.SHARED_FROM)  # nothing to set aside
    assert not aside.worth_forking(widgets[1:2], [0], aside.SHARED_FROM)  # nothing left here
    monkeypatch.setenv("CRM_PROCESSES", "1")
    assert not aside.worth_forking(widgets, [1, 3], aside.SHARED_FROM)


def test_what_both_sides_read_is_found_once_before_the_fork() -> None:
    widgets = [widget(0, "stat"), widget(1, "bar"), widget(2, "pie")]
    needs = {0: {("p", ""), ("p", "a")}, 1: {("p", ""), ("p", "b")}, 2: {("p", "a")}}
    shared = aside.shared_needs(widgets, [1, 2], lambda w: needs[w.index])
    assert shared == [("p", ""), ("p", "a")]


def test_a_child_that_fails_leaves_every_figure_here() -> None:
    def failing(indices: list[int]) -> dict[int, Figure]:
        raise ValueError("broken")

    failed = aside.start_aside([1], failing)
    assert failed is not None and failed.figures() == {}
    wrong = aside.start_aside([1], lambda indices: {9: Omitted("", "", "")})
    assert wrong is not None and wrong.figures() == {}  # not the figures asked for
    right = aside.start_aside([1], lambda indices: {1: Omitted("Chart", "", "Not shown.")})
    assert right is not None and right.figures() == {1: Omitted("Chart", "", "Not shown.")}


def test_a_forked_child_reads_the_index_through_its_own_connection(root: Path) -> None:
    computed(root, "1")  # builds the index
    store = IndexStore.open(root)
    assert store is not None
    state = store.meta("state")

    def in_child() -> bytes:
        store.reconnect()
        return str(store.meta("state")).encode()

    child = started(in_child)
    assert child is not None and child.result() == str(state).encode()
    assert store.meta("state") == state  # this process's connection still answers
    store.close()
