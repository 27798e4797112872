"""sample-workspace/ is the agency sales CRM the README promises, and `crm check` passes on it."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

import pytest

from crmcli.check.workspace import CheckResult

from .conftest import SAMPLE, check

STAGES = [
    "Unqualified",
    "Qualification",
    "Proposal writing",
    "Proposal sent",
    "Negotiations",
    "Contract pending signature",
    "Won",
    "Lost",
    "N/A",
]
CUSTOM_OPPORTUNITY_FIELDS = {
    "amount": "currency",
    "cost": "currency",
    "profit": "formula",
    "proposal": "url",
    "files_received": "files",
    "contracts": "files",
    "confidence": "rating",
    "close_date": "date",
    "client": "reference",
    "client_name": "lookup",
    "client_email": "lookup",
    "source": "select",
    "lost_reason": "select",
    "client_size": "select",
}


@pytest.fixture(scope="module")
def result() -> CheckResult:
    return check(SAMPLE)


def test_check_passes_without_errors_or_warnings(result):
    assert result.problems == []


def test_projects_and_sizes(result):
    projects = result.workspace.projects
    assert set(projects) == {"clients", "opportunities", "delivery", "invoices"}
    assert len(projects["clients"].records) >= 30
    assert len(projects["opportunities"].records) >= 80


def test_opportunities_have_the_nine_stages_with_probabilities_and_the_fourteen_fields(result):
    opportunities = result.workspace.projects["opportunities"]
    assert list(opportunities.lists) == STAGES
    assert all(opportunities.lists[s].probability for s in STAGES[:6])
    assert {
        f.key: f.type for f in opportunities.custom_fields if f.key in CUSTOM_OPPORTUNITY_FIELDS
    } == (CUSTOM_OPPORTUNITY_FIELDS)
    assert opportunities.fields["confidence"].rating_max == 5
    assert {"branding", "website", "seo", "facebook-management"} <= set(opportunities.tags)
    stages_used = Counter(r.list_name for r in opportunities.records.values())
    assert set(stages_used) == set(STAGES)


def test_deals_spread_over_eighteen_months(result):
    created = [
        r.data["created"].date()
        for r in result.workspace.projects["opportunities"].records.values()
    ]
    months = {(d.year, d.month) for d in created}
    assert min(created) <= date(2025, 6, 1) and max(created) >= date(2026, 10, 1)
    assert len(months) >= 17


def test_names_in_french_and_russian(result):
    names = [r.name for p in result.workspace.projects.values() for r in p.records.values()]
    assert any(re.search("[éèàçô]", n) for n in names)
    assert any(re.search("[а-яА-Я]", n) for n in names)


def test_delivery_looks_up_client_data_through_its_opportunity(result):
    projects = result.workspace.projects
    for delivery in projects["delivery"].records.values():
        deal = projects["opportunities"].records[delivery.data["opportunity"]]
        client = projects["clients"].records[deal.data["client"]]
        assert delivery.computed["client_name"] == client.name
        assert delivery.computed["client_email"] == client.data.get("email")


def test_client_backlinks_and_rollups_match_their_deals(result):
    projects = result.workspace.projects
    deals = projects["opportunities"].records.values()
    for client in projects["clients"].records.values():
        own = [d for d in deals if d.data["client"] == client.id]
        assert sorted(client.computed["opportunities"]) == sorted(d.id for d in own)
        won = sum(d.data.get("amount") or 0 for d in own if d.list_name == "Won")
        assert client.computed["won_total"] == won


def test_records_are_in_the_canonical_layout():
    """What `crm add` writes and `crm fmt` restores, so a reformat never churns the sample."""
    from crmcli.editing.fmt import format_workspace

    result = format_workspace(SAMPLE, check_only=True)
    records = [p for p in SAMPLE.glob("*/[!_]*.yaml") if p.parent.name != "dashboards"]
    assert result.checked == len(records) and result.changed == []
