"""Issue 14, `crm dashboard`: a chart or table that keeps its first N categories by value
labels and orders only those that can be among them (a top ten of eleven thousand clients).
The categories it shows must be those a full sort shows: ties at the edge are decided by the
natural order (here the clients' ids, not their names), either way round, without ties the
values alone decide, and a pie that adds up the rest as “Others” still adds up all of it."""

from __future__ import annotations

from pathlib import Path

from crmcli.reports.figures import Chart
from crmcli.reports.report import ReportRequest, dashboard_data

from .conftest import environment

CLIENTS = {
    "alpha": "Cobalt",
    "bravo": "Beryl",
    "charlie": "Amber",
    "delta": "Delta",
    "echo": "Echo",
}
WON = {"alpha": 300, "bravo": 300, "charlie": 300, "delta": 500, "echo": 100}  # Acme: 12000
DASHBOARD = """
    title: Test
    filters: {projects: [opportunities]}
    widgets:
      - {type: table, title: Top 2, measure: sum(amount), by: client, sort: -value, limit: 2}
      - {type: table, title: Top 3, measure: sum(amount), by: client, sort: -value, limit: 3}
      - {type: table, title: Bottom 2, measure: sum(amount), by: client, sort: value, limit: 2}
      - {type: bar, title: Most deals, measure: count, by: client, sort: -value, limit: 2}
      - {type: pie, title: Shares, measure: sum(amount), by: client, sort: -value, limit: 3}
"""


def shown(root: Path) -> dict[str, list[tuple[str, float | None]]]:
    with environment({"CRM_NOW": "2026-11-23T12:00:00+01:00", "CRM_USER": "alice"}):
        data = dashboard_data(root, ReportRequest("test"))
    charts = [figure for figure in data.figures if isinstance(figure, Chart)]
    return {c.title: list(zip(c.categories, c.series[0].values, strict=True)) for c in charts}


def test_the_first_categories_by_value_are_those_a_full_sort_gives(workspace) -> None:
    files = {
        f"clients/{key}.yaml": f"name: {name}\nlist: Clients\n" for key, name in CLIENTS.items()
    }
    files |= {
        f"opportunities/{key}-deal.yaml": f"name: {key} deal\nlist: Won\nclient: {key}\namount: {amount}\n"
        for key, amount in WON.items()
    }
    root = workspace({**files, "dashboards/test.yaml": DASHBOARD})
    assert shown(root) == {
        "Top 2": [("Acme", 12000), ("Delta", 500)],  # no tie: by value alone
        "Top 3": [("Acme", 12000), ("Delta", 500), ("Cobalt", 300)],
        "Bottom 2": [("Echo", 100), ("Cobalt", 300)],
        "Most deals": [("Acme", 1), ("Cobalt", 1)],
        "Shares": [("Acme", 12000), ("Delta", 500), ("Others", 1000)],
    }
