"""A dashboard's `where:` expressions that read the same names share one grouping of the
records (`reports/alike.py`, `Filters._alike`): `outcome == 'open'` and `outcome == 'won'`
group a hundred thousand deals once. Each keeps what evaluating it on every record keeps,
and notes the first record it fails on, whichever expression grouped them first."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from crmcli.core.loader import Loader
from crmcli.engine.compute import compute
from crmcli.fields.formatting import Formatter
from crmcli.formulas.values import FormulaError
from crmcli.git.timeline import Timeline
from crmcli.reports.alike import alike_key
from crmcli.reports.filters import Filters
from crmcli.reports.labels import Labels
from crmcli.reports.spec import Dashboard
from crmcli.reports.values import RecordValues

from .conftest import BASE_FILES, TODAY

PROJECT = BASE_FILES["opportunities/_project.yaml"].rstrip() + "\n          score: {type: number}"
DEALS = {
    "a": "{name: A, list: Lead, client: acme, amount: 500, score: 1}",
    "b": "{name: B, list: Won, client: acme, amount: lots, score: 2}",
    "c": "{name: C, list: Lead, client: acme, amount: 9000, score: true}",
    "d": "{name: D, list: Nowhere, client: acme, amount: 100}",
    "e": "{name: E, client: acme, amount: 7000, score: 1}",
    "f": "{name: F, list: Won, client: acme, amount: 9500, score: 2026-01-02T10:00:00+01:00}",
    "g": "{name: G, list: Lost, client: acme, amount: 10, lost_reason: Price}",
}
WHERES = [
    "outcome == 'won'",
    "outcome == 'open'",
    "max_days == 14 or outcome == 'lost'",
    "score == 1",
    "score + 1 > 2",
    "amount > 5000",
    "amount > 5000 and score == 1",
]


def opened(workspace) -> tuple[Filters, object, object]:
    root: Path = workspace(
        {
            "opportunities/_project.yaml": PROJECT,
            **{f"opportunities/{name}.yaml": text + "\n" for name, text in DEALS.items()},
        }
    )
    loader = Loader(root)
    loaded = loader.load()
    engine = compute(loaded, loader.log, TODAY)
    values = RecordValues(engine, Timeline(root, ZoneInfo("Europe/Paris")))
    labels = Labels(loaded, engine, Formatter.for_workspace(loaded.config), "EUR")
    dashboard = Dashboard("test", "dashboards/test.yaml", "Test")
    return Filters(engine, values, labels, dashboard, ()), engine, loaded.projects["opportunities"]


def one_by_one(engine, project, where: str) -> tuple[set[str], str]:
    expression = engine.compile_for(project, where)
    scope = engine.scope(project)
    passing, failing = set(), ""
    for record in project.records.values():
        scope.record = record
        try:
            if expression(scope):
                passing.add(record.path)
        except FormulaError:
            failing = failing or project.record_label(record)
    return passing, failing


def test_expressions_reading_the_same_names_group_the_records_once(workspace) -> None:
    filters, engine, project = opened(workspace)
    keys = {where: alike_key(project, engine.compile_for(project, where)) for where in WHERES}
    assert keys["outcome == 'won'"] == keys["outcome == 'open'"]
    assert keys["outcome == 'won'"] != keys["max_days == 14 or outcome == 'lost'"]
    assert keys["score == 1"] == keys["score + 1 > 2"]
    for where in WHERES:
        filters.where_results(project, where)
    assert len(filters._groups) == len({key for key in keys.values() if key is not None})


def test_each_keeps_what_evaluating_every_record_keeps(workspace) -> None:
    for order in (WHERES, WHERES[::-1]):  # whichever expression groups the records first
        filters, engine, project = opened(workspace)
        for where in order:
            passing, failing = filters.where_results(project, where)
            expected, first_failing = one_by_one(engine, project, where)
            assert passing == expected, where
            assert (first_failing in failing) if first_failing else not failing, where
    assert one_by_one(engine, project, "amount > 5000")[1]  # a text amount fails, noted
