"""Issue 14: a dashboard's `where:` is evaluated once per group of records it cannot tell
apart (reports/alike.py). Its answers must be those of evaluating it on every record: with
missing, invalid and oddly typed values (1, 1.0 and True), a deal's own probability, an
unknown key, records left out, hidden fields, and expressions that read more than stored
values (computed fields, ids, next steps), from the index and from the files alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from crmcli.core.loader import Loader
from crmcli.engine import scope as engine_scope
from crmcli.engine.compute import compute
from crmcli.formulas.values import FormulaError
from crmcli.reports import alike
from crmcli.reports.figures import DashboardData, Omitted, Stat
from crmcli.reports.report import ReportRequest, dashboard_data

from .conftest import BASE_FILES, TODAY, environment

NOW = "2026-11-23T10:00:00+01:00"
PROJECT = BASE_FILES["opportunities/_project.yaml"].rstrip() + "".join(
    f"\n          {field}: {{type: {kind}}}"
    for field, kind in (
        ("probability", "number"),
        ("score", "number"),
        ("flag", "checkbox"),
        ("closing", "date"),
    )
)
DEALS = {
    "a-lead": "{name: A, list: Lead, client: acme, amount: 500, score: 1}",
    "b-lead": "{name: B, list: Lead, client: acme, amount: 9000, score: true, flag: true}",
    "c-lead": "{name: C, list: Lead, client: acme, amount: 1.0, score: 1.0}",
    "d-proposal": "{name: D, list: Proposal sent, client: acme, amount: 7000, probability: 0.9}",
    "e-proposal": "{name: E, list: Proposal sent, client: acme, amount: 7000, cost: 9000}",
    "f-nowhere": "{name: F, list: Nowhere, client: acme, amount: 100}",
    "g-no-list": "{name: G, client: acme, amount: 100}",
    "h-text": "{name: H, list: Lead, client: acme, amount: lots}",
    "i-lost": "{name: I, list: Lost, client: acme, amount: 300, lost_reason: Price}",
    "j-own-outcome": "{name: J, list: Lead, client: acme, amount: 5, outcome: won}",
    "k-dated": "{name: K, list: Lead, client: acme, score: 2026-01-02T10:00:00+01:00}",
    "l-day": "{name: L, list: Won, client: acme, amount: 10, closing: 2026-10-01}",
    "m-step": "{name: M, list: Lead, client: acme, next_step: {what: Call, due: 2026-11-01}}",
}
WHERES = [
    "outcome == 'open'",
    "outcome == 'won'",
    "probability > 0.3",
    "max_days == 14",
    "score == 1",
    "score + 1 > 1",
    "amount > 5000",
    "amount > 5000 and not flag",
    "project == 'opportunities'",
    "list == 'Lead' or flag",
    "closing < TODAY()",
    "profit > 0",
    "id == 'a-lead'",
    "next_step_overdue",
]


@pytest.fixture
def root(workspace) -> Path:
    widgets = "\n".join(
        f"  - {{type: stat, title: 'W{i}', measure: count, where: {where!r}}}"
        for i, where in enumerate(WHERES)
    )
    return workspace(
        {
            "opportunities/_project.yaml": PROJECT,
            **{f"opportunities/{name}.yaml": text + "\n" for name, text in DEALS.items()},
            "opportunities/z-broken.yaml": "name: [unclosed\n",
            "dashboards/test.yaml": "title: Test\nfilters: {projects: [opportunities]}\n"
            "widgets:\n" + widgets + "\n",
        }
    )


def every_record(root: Path) -> dict[str, tuple[int, str]]:
    """Each `where:`: how many records pass, and the first it fails on, evaluated on each."""
    loader = Loader(root)
    workspace = loader.load()
    engine = compute(workspace, loader.log, TODAY)
    project = workspace.projects["opportunities"]
    answers = {}
    for where in WHERES:
        expression = engine.compile_for(project, where)
        scope = engine.scope(project)
        passing, failing = 0, ""
        for record in project.records.values():
            scope.record = record
            try:
                passing += bool(expression(scope))
            except FormulaError:
                failing = failing or project.record_label(record)
        answers[where] = (passing, failing)
    return answers


def by_groups(root: Path, cache: bool, role: str | None = None) -> dict[str, tuple[int, str]]:
    with environment({"CRM_NOW": NOW, "CRM_USER": "alice"}):
        data: DashboardData = dashboard_data(root, ReportRequest("test", cache=cache, role=role))
    answers = {}
    for where, figure in zip(WHERES, data.figures, strict=True):
        if isinstance(figure, Omitted):
            continue
        assert isinstance(figure, Stat)
        assert figure.value is not None
        failing = next((note for note in figure.notes if "fails on" in note), "")
        answers[where] = (int(figure.value), failing)
    return answers


def test_a_where_counts_the_records_that_evaluating_each_one_keeps(root: Path) -> None:
    expected = every_record(root)
    assert expected["outcome == 'open'"][0] == 8  # some answers, to show the workspace bites
    assert expected["outcome == 'won'"][0] == 3  # with the deal that says `outcome: won` itself
    assert expected["amount > 5000"][1]  # fails on a text amount
    for cache in (True, True, False):  # builds the index, served by it, read from the files
        found = by_groups(root, cache)
        for where, (passing, failing) in expected.items():
            assert found[where][0] == passing, where
            assert (failing in found[where][1]) if failing else not found[where][1], where


def test_a_role_that_may_not_see_a_field_gets_the_same_answers(root: Path) -> None:
    expected = by_groups(root, cache=True)
    seen = by_groups(root, cache=True, role="junior")  # cost is hidden from juniors
    assert seen == {where: answer for where, answer in expected.items() if where != "profit > 0"}


def test_values_equal_in_python_but_not_in_a_formula_are_told_apart(root: Path) -> None:
    loader = Loader(root)
    workspace = loader.load()
    engine = compute(workspace, loader.log, TODAY)
    project = workspace.projects["opportunities"]
    key = alike.alike_key(project, engine.compile_for(project, "score == 1"))
    assert key is not None
    records = project.records
    keys = [key(records[name]) for name in ("a-lead", "b-lead", "c-lead")]
    assert len({*keys}) == 3  # 1, True, 1.0
    assert key(records["k-dated"]) is None  # a date-time: evaluated on its own
    assert key(records["d-proposal"]) == key(records["e-proposal"])  # neither has a score


@pytest.mark.parametrize("where", ["profit > 0", "id == 'a-lead'", "next_step_overdue"])
def test_an_expression_reading_more_than_stored_values_is_evaluated_for_every_record(
    root: Path, where: str
) -> None:
    loader = Loader(root)
    workspace = loader.load()
    engine = compute(workspace, loader.log, TODAY)
    project = workspace.projects["opportunities"]
    assert alike.alike_key(project, engine.compile_for(project, where)) is None


def test_every_name_a_scope_derives_is_known_here() -> None:
    """A name the scope derives that alike.py took for a stored field would group records
    it must not: a new derived name must be placed (read from the list, or per record)."""
    derived = set(engine_scope._DERIVED)
    assert derived <= alike.FROM_LIST | alike.OWN | {"project"}
