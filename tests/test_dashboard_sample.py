"""Every figure of the sample workspace's `sales` dashboard, against a computation in plain
Python over the parsed YAML files (no engine, no crmcli code)."""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from babel.dates import format_skeleton
from babel.numbers import format_currency

from crmcli.reports.figures import Chart, DashboardData, RecordTable, Stat
from crmcli.reports.report import ReportRequest, dashboard_data

from .conftest import SAMPLE, TODAY

PARIS = ZoneInfo("Europe/Paris")
START = date(2025, 12, 1)  # period: {last: 12 months} on 2026-11-23
MONTHS = [date(2025 + (11 + i) // 12, (11 + i) % 12 + 1, 1) for i in range(12)]


def read(project: str) -> dict[str, dict[str, Any]]:
    return {
        path.stem: yaml.safe_load(path.read_text(encoding="utf-8"))
        for path in sorted((SAMPLE / project).glob("*.yaml"))
        if not path.name.startswith("_")
    }


SCHEMA = yaml.safe_load((SAMPLE / "opportunities/_project.yaml").read_text(encoding="utf-8"))
STAGES = {stage["name"]: stage for stage in SCHEMA["lists"]}
STAGE_ORDER = list(STAGES)
DEALS = read("opportunities")
INVOICES = read("invoices")
CLIENTS = read("clients")
MEMBERS = yaml.safe_load((SAMPLE / "crm.yaml").read_text(encoding="utf-8"))["members"]


def outcome(deal: dict[str, Any]) -> str:
    return STAGES[deal["list"]].get("outcome", "open")


def local(moment: datetime | date) -> date:
    return moment.astimezone(PARIS).date() if isinstance(moment, datetime) else moment


def in_period(day: date | None) -> bool:
    return day is not None and START <= day <= TODAY


def entered(deal: dict[str, Any], wanted: set[str]) -> date | None:
    """When the deal entered the run of `wanted` outcomes it is still in (from history)."""
    if outcome(deal) not in wanted:
        return None
    since = None
    for entry in reversed(deal["history"]):
        if STAGES[entry["list"]].get("outcome", "open") not in wanted:
            break
        since = entry["at"]
    return local(since) if since else None


def won_at(deal: dict[str, Any]) -> date | None:
    return entered(deal, {"won"})


def closed_at(deal: dict[str, Any]) -> date | None:
    return entered(deal, {"won", "lost", "closed"})


def month(day: date) -> date:
    return day.replace(day=1)


OPEN = [d for d in DEALS.values() if outcome(d) == "open"]
WON_IN_PERIOD = [d for d in DEALS.values() if in_period(won_at(d))]


@pytest.fixture(scope="module")
def data() -> DashboardData:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CRM_NOW", "2026-11-23T12:00:00+01:00")
        return dashboard_data(SAMPLE, ReportRequest("sales"))


@pytest.fixture(scope="module")
def figures(data: DashboardData) -> dict[str, Any]:
    return {figure.title: figure for figure in data.figures}


def stat(figures: dict[str, Any], title: str) -> float | None:
    figure = figures[title]
    assert isinstance(figure, Stat)
    return figure.value


def series(figures: dict[str, Any], title: str) -> dict[str, float | None]:
    figure = figures[title]
    assert isinstance(figure, Chart) and len(figure.series) == 1
    return dict(zip(figure.categories, figure.series[0].values, strict=True))


def month_label(day: date) -> str:
    return format_skeleton("yMMM", day, locale="fr_FR")


def per_month(values: dict[date, float]) -> dict[str, float]:
    return {month_label(m): values.get(m, 0) for m in MONTHS}


def test_the_dashboard_has_every_widget_the_sales_meeting_needs(data):
    assert [f.title for f in data.figures] == [
        "Open pipeline",
        "Weighted forecast",
        "Active opportunities",
        "Win rate",
        "Proposals won",
        "Stale deals",
        "Pipeline generated per month",
        "Won per month",
        "New opportunities per month",
        "Forecast by expected close month",
        "Open deals by stage",
        "Won by service",
        "Days per stage",
        "Revenue per month",
        "Top clients by won value",
        "Deals to follow up",
        "Overdue next steps",
        "Pipeline board",
        "Open deals without a next step",
    ]
    assert data.as_of == TODAY and data.locale == "fr_FR"


def test_total_pipeline_value(figures):
    expected = sum(d["amount"] for d in OPEN)
    assert expected > 0
    assert stat(figures, "Open pipeline") == expected


def test_weighted_forecast_is_each_open_deal_times_its_stage_probability(figures):
    expected = sum(d["amount"] * STAGES[d["list"]]["probability"] for d in OPEN)
    assert stat(figures, "Weighted forecast") == pytest.approx(expected)
    assert expected < stat(figures, "Open pipeline")


def test_number_of_active_opportunities(figures):
    assert stat(figures, "Active opportunities") == len(OPEN) > 0


def test_win_rate_of_deals_closed_in_the_period(figures):
    closed = [d for d in DEALS.values() if in_period(closed_at(d))]
    won = sum(1 for d in closed if outcome(d) == "won")
    lost = sum(1 for d in closed if outcome(d) == "lost")
    assert stat(figures, "Win rate") == pytest.approx(won / (won + lost))


def test_conversion_from_proposal_sent_to_won(figures):
    reached = converted = 0
    for deal in DEALS.values():
        if not in_period(local(deal["created"])):
            continue
        stages = [entry["list"] for entry in deal["history"]]
        if "Proposal sent" in stages:
            reached += 1
            converted += "Won" in stages[stages.index("Proposal sent") :]
    assert reached > 0
    assert stat(figures, "Proposals won") == pytest.approx(converted / reached)


def last_update(deal: dict[str, Any]) -> date:
    moments = [deal["updated"], *(entry["at"] for entry in deal["history"])]
    return local(max(moments))


STALE = [d for d in OPEN if (TODAY - last_update(d)).days >= 14]


def test_stale_deals_are_open_and_quiet_for_fourteen_days(figures):
    assert 0 < stat(figures, "Stale deals") == len(STALE) < len(OPEN)


def test_pipeline_generated_per_month_stacked_by_source(figures):
    figure = figures["Pipeline generated per month"]
    assert figure.stacked and figure.kind == "bar"
    expected: dict[str, dict[date, float]] = defaultdict(lambda: defaultdict(float))
    for deal in DEALS.values():
        created = local(deal["created"])
        if in_period(created):
            expected[deal.get("source", "(none)")][month(created)] += deal["amount"]
    options = SCHEMA["fields"]["source"]["options"]
    assert [s.name for s in figure.series] == [o for o in options if o in expected]
    assert list(figure.categories) == [month_label(m) for m in MONTHS]
    for line in figure.series:
        assert dict(zip(figure.categories, line.values, strict=True)) == per_month(
            expected[line.name]
        )


def test_sales_won_per_month_dated_by_entering_a_won_list(figures):
    expected: dict[date, float] = defaultdict(float)
    for deal in WON_IN_PERIOD:
        expected[month(won_at(deal))] += deal["amount"]
    assert sum(expected.values()) > 0
    assert series(figures, "Won per month") == per_month(expected)


def test_new_opportunities_per_month(figures):
    expected: dict[date, float] = defaultdict(float)
    for deal in DEALS.values():
        if in_period(local(deal["created"])):
            expected[month(local(deal["created"]))] += 1
    assert series(figures, "New opportunities per month") == per_month(expected)


def test_forecast_by_expected_close_month_over_the_next_six_months(figures):
    months = [date(2026, 11, 1), date(2026, 12, 1)] + [date(2027, m, 1) for m in range(1, 5)]
    expected: dict[date, float] = defaultdict(float)
    for deal in OPEN:
        close = deal["close_date"]
        if date(2026, 11, 1) <= close <= date(2027, 4, 30):
            expected[month(close)] += deal["amount"] * STAGES[deal["list"]]["probability"]
    found = series(figures, "Forecast by expected close month")
    assert list(found) == [month_label(m) for m in months]
    assert found == pytest.approx({month_label(m): expected.get(m, 0) for m in months})


def test_open_deals_by_stage_in_pipeline_order(figures):
    counts = defaultdict(int)
    for deal in OPEN:
        counts[deal["list"]] += 1
    expected = {stage: counts[stage] for stage in STAGE_ORDER if counts[stage]}
    assert series(figures, "Open deals by stage") == expected


def test_sales_by_service_tag(figures):
    expected: dict[str, float] = defaultdict(float)
    for deal in WON_IN_PERIOD:
        for tag in deal.get("tags", []):
            expected[tag] += deal["amount"]
    assert figures["Won by service"].kind == "pie"
    found = series(figures, "Won by service")
    assert list(found) == [t for t in SCHEMA["tags"] if t in expected]
    assert found == expected


def test_days_per_stage_from_history(figures):
    stays = defaultdict(list)
    for deal in DEALS.values():
        history = deal["history"]
        for entry, following in itertools.pairwise(history):
            stays[entry["list"]].append((following["at"] - entry["at"]) / timedelta(days=1))
    expected = {s: sum(stays[s]) / len(stays[s]) for s in STAGE_ORDER if stays[s]}
    assert series(figures, "Days per stage") == pytest.approx(expected)
    assert figures["Days per stage"].unit.kind == "days"


def test_revenue_per_month_from_invoices(figures):
    expected: dict[date, float] = defaultdict(float)
    for invoice in INVOICES.values():
        if invoice.get("paid_on") and in_period(invoice["paid_on"]):
            expected[month(invoice["paid_on"])] += invoice["amount"]
    assert sum(expected.values()) > 0
    assert series(figures, "Revenue per month") == per_month(expected)


def test_top_clients_by_won_value(figures):
    totals: dict[str, float] = defaultdict(float)
    for deal in WON_IN_PERIOD:
        totals[deal["client"]] += deal["amount"]
    ranked = sorted(sorted(totals), key=lambda client: -totals[client])[:10]
    expected = {CLIENTS[client]["name"]: totals[client] for client in ranked}
    figure = figures["Top clients by won value"]
    assert figure.kind == "table"
    assert series(figures, "Top clients by won value") == expected
    assert list(figure.categories) == list(expected)


def test_deals_to_follow_up_are_listed_by_amount(figures):
    table = [f for f in figures.values() if isinstance(f, RecordTable) and f.rows]
    assert len(table) == 1
    rows = sorted(STALE, key=lambda d: -d["amount"])
    assert table[0].headers == ("Name", "List", "Amount", "Assignee", "Expected close date")
    assert [r[0] for r in table[0].rows] == [d["name"] for d in rows]
    first = table[0].rows[0]
    assert first[2] == format_currency(rows[0]["amount"], "EUR", locale="fr_FR")
    assert first[3] == MEMBERS[rows[0]["assignee"]]["name"]


def test_money_is_formatted_for_the_workspace_locale(data, figures):
    from crmcli.fields.formatting import Formatter

    figure = figures["Open pipeline"]
    shown = figure.unit.format(Formatter(data.locale, data.currency), figure.value)
    assert shown == format_currency(figure.value, "EUR", locale="fr_FR")
    assert shown.replace("\u202f", " ").replace("\xa0", " ").endswith(",00 €")


def test_the_sample_dashboard_checks_clean():
    from .conftest import check

    result = check(Path(SAMPLE))
    assert [p for p in result.problems if p.path.startswith("dashboards/")] == []
