"""A real CRM export no one here wrote (issue 8): Maven Analytics' sample CRM in
../shared/datasets/maven-crm (85 accounts, 8,800 opportunities; CRLF line endings, blank
accounts on 1,425 deals, blank dates and values on open deals, “GTXPro” for “GTX Pro”,
the sector “technolgy”). It is imported with the commands the README shows, then the
workspace is checked and its figures compared with a plain `csv` computation over the files.
"""

from __future__ import annotations

import csv
from collections import Counter
from decimal import Decimal

import pytest

from crmcli.engine.workspace import open_workspace

from .conftest import REPO, TODAY, check, crm, write_files
from .test_import import ENV

MAVEN = next(  # ../shared from the main checkout, ../../shared from a worktree of it
    (up / "shared" / "datasets" / "maven-crm" for up in REPO.parents if (up / "shared").is_dir()),
    REPO.parent / "shared" / "datasets" / "maven-crm",
)

pytestmark = pytest.mark.skipif(
    not (MAVEN / "sales_pipeline.csv").is_file(),
    reason=f"the Maven CRM sample data is not there ({MAVEN}); it lives in ../shared, "
    "outside the repository",
)

WORKSPACE = {
    "crm.yaml": """
        name: Maven Hardware
        locale: en_US
        currency: USD
        timezone: America/New_York
        members:
          alice: {name: Alice Martin, email: alice@maven.example, role: manager}
        roles:
          manager: {}
    """,
    "clients/_project.yaml": """
        name: Clients
        record_name: Account
        defaults: {remove: [due, checklist, depends_on]}
        lists: [Accounts]
        fields:
          sector: {type: select, options: [technology, medical, retail, software,
                   entertainment, marketing, finance, telecommunications, services, employment]}
          year_established: {type: number}
          revenue: {type: currency, label: Revenue (USD millions)}
          employees: {type: number}
          office_location: {type: text}
          subsidiary_of: {type: reference, project: clients}
          opportunities: {type: referenced_by, from: opportunities.account}
          won_total: {type: rollup, through: opportunities, field: amount, agg: sum,
                      where: "outcome == 'won'", format: currency}
    """,
    "opportunities/_project.yaml": """
        name: Opportunities
        record_name: Deal
        defaults: {remove: [due, checklist, depends_on]}
        lists:
          - {name: Prospecting, probability: 0.1}
          - {name: Engaging, probability: 0.5}
          - {name: Won, outcome: won}
          - {name: Lost, outcome: lost}
        fields:
          agent: {type: text, label: Sales agent}
          product: {type: select, options: [GTX Basic, GTX Pro, MG Special, MG Advanced,
                    GTX Plus Pro, GTX Plus Basic, GTK 500]}
          account: {type: reference, project: clients}
          engage_date: {type: date}
          close_date: {type: date}
          amount: {type: currency, label: Close value}
    """,
}


def rows(name: str) -> list[dict[str, str]]:
    with (MAVEN / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_maven_crm_imports_and_its_figures_match_the_source_files(tmp_path):
    root = write_files(tmp_path / "maven", WORKSPACE)
    accounts, pipeline = MAVEN / "accounts.csv", MAVEN / "sales_pipeline.csv"

    first = crm(
        "-C", root, "import", "clients", accounts, "--map", "account=name",
        "--map", "subsidiary_of=", "--value-map", "technolgy=technology", env=ENV,
    )  # fmt: skip
    # subsidiaries name accounts further down the file: a second pass, keyed by name, adds them
    second = crm(
        "-C", root, "import", "clients", accounts, "--map", "account=name", "--key", "name",
        "--value-map", "technolgy=technology", env=ENV,
    )  # fmt: skip
    deals = crm(
        "-C", root, "import", "opportunities", pipeline, "--map", "opportunity_id=name",
        "--map", "sales_agent=agent", "--map", "deal_stage=list", "--map", "close_value=amount",
        "--value-map", "GTXPro=GTX Pro", env=ENV,
    )  # fmt: skip

    assert first.returncode == 0, first.stderr
    assert "85 created" in first.stdout
    assert second.returncode == 0, second.stderr
    assert "0 created, 15 updated, 70 unchanged, 0 rejected" in second.stdout
    assert deals.returncode == 0, deals.stderr
    assert "8,800 rows read (UTF-8, “,”): 8,800 created" in deals.stdout
    assert check(root).problems == []

    source_accounts, source_deals = rows("accounts.csv"), rows("sales_pipeline.csv")
    opened = open_workspace(root, today=TODAY)
    clients = opened.workspace.projects["clients"].records
    opportunities = opened.workspace.projects["opportunities"].records
    assert len(clients) == len(source_accounts) == 85
    assert len(opportunities) == len(source_deals) == 8800
    assert Counter(r.list_name for r in opportunities.values()) == Counter(
        d["deal_stage"] for d in source_deals
    )
    won = [d for d in source_deals if d["deal_stage"] == "Won"]
    assert sum(Decimal(str(r.data.get("amount", 0))) for r in opportunities.values()
               if r.list_name == "Won") == sum(Decimal(d["close_value"]) for d in won)  # fmt: skip
    won_by_account = Counter()
    for deal in won:
        won_by_account[deal["account"]] += int(deal["close_value"])
    for client in clients.values():
        assert client.value("won_total") == won_by_account[client.name], client.name
    assert sum(1 for r in opportunities.values() if "account" not in r.data) == sum(
        1 for d in source_deals if not d["account"]
    ) == 1425  # fmt: skip
    assert Counter(r.data["product"] for r in opportunities.values())["GTX Pro"] == sum(
        1 for d in source_deals if d["product"] in ("GTXPro", "GTX Pro")
    )
    subsidiaries = {a["account"]: a["subsidiary_of"] for a in source_accounts if a["subsidiary_of"]}
    by_id = {r.id: r.name for r in clients.values()}
    assert {
        r.name: by_id[r.data["subsidiary_of"]]
        for r in clients.values()
        if "subsidiary_of" in r.data
    } == subsidiaries
