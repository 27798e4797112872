"""Issue 14: a dashboard reads a stored field straight from the record's data
(reports/values.py `RecordValues.value`), without pointing a scope at it. What it reads must
be what the record's scope gives, for stored, computed, looked-up and derived names, a
record's own key named like a derived value, and a field the record does not hold."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from crmcli.core.loader import Loader
from crmcli.engine.compute import compute
from crmcli.git.timeline import Timeline
from crmcli.reports.values import RecordValues

from .conftest import TODAY
from .test_dashboard_where_alike import DEALS, PROJECT

NAMES = [
    "name", "list", "amount", "cost", "profit", "probability", "score", "flag", "closing",
    "client", "outcome", "max_days", "id", "project", "next_step", "has_next_step", "tags",
]  # fmt: skip


def test_a_value_read_from_the_data_is_the_one_the_scope_gives(workspace) -> None:
    root: Path = workspace(
        {
            "opportunities/_project.yaml": PROJECT,
            **{f"opportunities/{name}.yaml": text + "\n" for name, text in DEALS.items()},
        }
    )
    loader = Loader(root)
    loaded = loader.load()
    engine = compute(loaded, loader.log, TODAY)
    project = loaded.projects["opportunities"]
    values = RecordValues(engine, Timeline(root, ZoneInfo("Europe/Paris")))
    scope = engine.scope(project)
    compared = 0
    for record in project.records.values():
        scope.record = record
        for name in NAMES:
            assert values.value(project, record, (name,)) == scope.get(name), (record.id, name)
            compared += 1
    assert compared == len(DEALS) * len(NAMES) + len(NAMES)  # the base workspace's deal too
