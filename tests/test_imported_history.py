"""Imported history is real history (issue 13, point 3): `crm import` maps columns to
`created` and to the moment a record entered its list (`entered`), stored as the history entry
`crm move` writes, in ISO or the locale's short form, so deals won in June count as won in
June on the dashboard.
"""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_skeleton

from crmcli.reports.figures import Chart
from crmcli.reports.report import ReportRequest, dashboard_data

from .conftest import check, crm, load, write_files
from .test_import import ENV, NOW
from .test_import_real_data import MAVEN, WORKSPACE

WON_PER_MONTH = """
title: Sales
period: {from: 2016-01-01, to: 2017-12-31}
widgets:
  - {type: bar, title: Won per month, project: opportunities, measure: sum(amount),
     by: month(won_at)}
  - {type: bar, title: Deals won per month, project: opportunities, measure: count,
     by: month(won_at)}
  - {type: bar, title: New per month, project: opportunities, measure: count, by: month(created)}
"""


def bars(root, title: str) -> dict[str, float]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CRM_NOW", NOW)
        data = dashboard_data(root, ReportRequest("sales"))
    figure = next(f for f in data.figures if f.title == title)
    assert isinstance(figure, Chart), figure
    return {c: v for c, v in zip(figure.categories, figure.series[0].values, strict=True) if v}


def month_label(day: str) -> str:
    return format_skeleton("yMMM", date.fromisoformat(day).replace(day=1), locale="en_US")


@pytest.mark.skipif(not (MAVEN / "sales_pipeline.csv").is_file(), reason="no Maven CRM data")
def test_maven_deals_won_per_month_on_the_dashboard_equal_a_csv_count_of_close_dates(tmp_path):
    root = write_files(tmp_path / "maven", {**WORKSPACE, "dashboards/sales.yaml": WON_PER_MONTH})
    deals = crm(
        "-C", root, "import", "opportunities", MAVEN / "sales_pipeline.csv",
        "--map", "opportunity_id=name", "--map", "sales_agent=agent", "--map", "account=",
        "--map", "deal_stage=list", "--map", "close_value=amount",
        "--map", "engage_date=created", "--map", "close_date=entered",
        "--value-map", "GTXPro=GTX Pro", env=ENV,
    )  # fmt: skip
    assert deals.returncode == 0, deals.stderr
    assert "8,800 created" in deals.stdout
    assert check(root).problems == []

    with (MAVEN / "sales_pipeline.csv").open(encoding="utf-8", newline="") as handle:
        source = list(csv.DictReader(handle))
    won_value, won_count, engaged = Counter(), Counter(), Counter()
    for deal in source:
        if deal["deal_stage"] == "Won":
            won_value[month_label(deal["close_date"])] += Decimal(deal["close_value"])
            won_count[month_label(deal["close_date"])] += 1
        if deal["engage_date"]:
            engaged[month_label(deal["engage_date"])] += 1

    assert bars(root, "Won per month") == {m: float(v) for m, v in won_value.items()}
    assert bars(root, "Deals won per month") == dict(won_count)
    assert bars(root, "New per month") == dict(engaged)
    assert sum(won_count.values()) == 4238  # every won deal is in a month of its close date


SMALL = {
    "crm.yaml": """
        name: Atelier
        locale: fr_FR
        currency: EUR
        timezone: Europe/Paris
        members:
          alice: {name: Alice Martin, email: alice@atelier.example, role: manager}
        roles:
          manager: {}
    """,
    "opportunities/_project.yaml": """
        name: Opportunities
        record_name: Deal
        lists:
          - {name: Proposal sent, probability: 0.5}
          - {name: Won, outcome: won}
        fields:
          amount: {type: currency}
    """,
    "notes/_project.yaml": """
        name: Notes
        defaults: {remove: [history]}
        lists: [Notes]
    """,
}
PARIS = ZoneInfo("Europe/Paris")


def test_entered_and_created_in_the_locale_format_become_the_history_crm_move_writes(tmp_path):
    root = write_files(tmp_path / "ws", SMALL)
    (root / "deals.csv").write_text(
        "Nom,Étape,Montant,Créé le,Gagné le\n"
        "Acme,Won,1000,02/05/2025,20/06/2025\n"
        "Globex,Proposal sent,500,2025-05-03,2025-06-01T14:30\n"
        "Initech,Won,700,,\n",
        encoding="utf-8",
    )
    result = crm(
        "-C", root, "import", "opportunities", root / "deals.csv", "--map", "Nom=name",
        "--map", "Étape=list", "--map", "Montant=amount", "--map", "Créé le=created", "--map", "Gagné le=entered", env=ENV,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr

    acme = load(root, "opportunities/acme.yaml")
    assert acme["created"] == datetime(2025, 5, 2, tzinfo=PARIS)
    assert acme["history"] == [
        {"list": "Won", "at": datetime(2025, 6, 20, tzinfo=PARIS), "by": "alice"}
    ]
    globex = load(root, "opportunities/globex.yaml")
    assert globex["history"][0]["at"] == datetime(2025, 6, 1, 14, 30, tzinfo=PARIS)
    initech = load(root, "opportunities/initech.yaml")  # no date: stamped now, as crm add does
    assert initech["history"][0]["at"] == datetime.fromisoformat(NOW)
    assert check(root).problems == []

    dashboard = (
        "title: Sales\nperiod: {from: 2025-01-01, to: 2025-12-31}\nwidgets:\n"
        "  - {type: bar, title: Won, project: opportunities, measure: sum(amount), "
        "by: month(won_at)}\n"
    )
    write_files(root, {"dashboards/sales.yaml": dashboard})
    june = format_skeleton("yMMM", date(2025, 6, 1), locale="fr_FR")
    assert bars(root, "Won") == {june: 1000.0}


def test_a_keyed_update_dates_the_move_it_makes_and_importing_again_changes_nothing(tmp_path):
    root = write_files(tmp_path / "ws", SMALL)
    first = root / "first.csv"
    first.write_text("name,list,sent\nAcme,Proposal sent,2026-03-01\n", encoding="utf-8")
    imported = ("import", "opportunities", first, "--map", "sent=entered")
    assert crm("-C", root, *imported, env=ENV).returncode == 0
    won = root / "won.csv"
    won.write_text("name,list,closed\nAcme,Won,2026-06-20\n", encoding="utf-8")
    options = ("--key", "name", "--map", "closed=entered")

    moved = crm("-C", root, "import", "opportunities", won, *options, env=ENV)
    again = crm("-C", root, "import", "opportunities", won, *options, env=ENV)

    assert moved.returncode == 0, moved.stderr
    assert "1 updated" in moved.stdout
    history = load(root, "opportunities/acme.yaml")["history"]
    assert [entry["list"] for entry in history] == ["Proposal sent", "Won"]
    assert history[1] == {"list": "Won", "at": datetime(2026, 6, 20, tzinfo=PARIS), "by": "alice"}
    assert again.returncode == 0, again.stderr
    assert "0 updated, 1 unchanged" in again.stdout
    assert len(load(root, "opportunities/acme.yaml")["history"]) == 2


def test_entered_is_refused_where_nothing_keeps_a_history_and_a_bad_date_is_a_row_problem(
    tmp_path,
):
    root = write_files(tmp_path / "ws", SMALL)
    notes = root / "notes.csv"
    notes.write_text("name,when\nCall back,2025-06-20\n", encoding="utf-8")
    deals = root / "deals.csv"
    deals.write_text("name,when\nAcme,next summer\n", encoding="utf-8")

    refused = crm("-C", root, "import", "notes", notes, "--map", "when=entered", env=ENV)
    bad = crm("-C", root, "import", "opportunities", deals, "--map", "when=entered", env=ENV)

    assert refused.returncode == 2
    assert "Notes keeps no history of its lists" in refused.stderr
    assert bad.returncode == 1
    assert "deals.csv:2:2: error[invalid-value]: row 2, column “when”" in bad.stdout + bad.stderr
    assert not (root / "opportunities" / "acme.yaml").exists()
