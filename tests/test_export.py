"""`crm export` (issue 8): CSV, JSON, Excel and SQLite with computed fields, fields hidden
from a role left out (with what is derived from them), formula injection neutralised, and
SQLite tables whose references are foreign keys an SQL tool can join on."""

from __future__ import annotations

import csv
import io
import json
import sqlite3

from .conftest import crm
from .test_import import ENV

DEALS = {
    "opportunities/_project.yaml": """
        name: Opportunities
        record_name: Deal
        lists:
          - {name: Lead, probability: 0.1}
          - {name: Won, outcome: won}
          - {name: Lost, outcome: lost}
        tags: [website, seo]
        fields:
          amount: {type: currency}
          cost: {type: currency}
          profit: {type: formula, expr: "amount - cost", format: currency}
          signed: {type: checkbox}
          close_date: {type: date}
          client: {type: reference, project: clients, required: true}
          partners: {type: reference, project: clients, multiple: true}
          client_email: {type: lookup, through: client, field: email}
          lost_reason: {type: select, options: [Price, Timing], required_in: [Lost]}
    """,
    "clients/globex.yaml": "name: Globex\nlist: Clients\nemail: info@globex.example\n",
    "opportunities/acme-website.yaml": """
        name: Acme — Website
        list: Won
        tags: [website, seo]
        client: acme
        partners: [globex]
        amount: 12000.5
        cost: 7000
        signed: true
        close_date: 2026-10-15
    """,
    "opportunities/globex-seo.yaml": """
        name: "=HYPERLINK(\\"http://evil.example\\")"
        list: Lead
        client: globex
        amount: 3000
        cost: 1000
        description: "+33 1 99 00 54 79 then @ops"
    """,
}


def test_csv_has_computed_fields_in_values_a_machine_reads_and_no_live_formulas(workspace):
    root = workspace(DEALS)

    run = crm(
        "-C", root, "export", "opportunities", "--format", "csv", "--dialect", "rfc4180", env=ENV
    )

    assert run.returncode == 0, run.stderr
    rows = list(csv.DictReader(io.StringIO(run.stdout)))
    assert [r["id"] for r in rows] == ["acme-website", "globex-seo"]
    acme, globex = rows
    assert (acme["amount"], acme["profit"], acme["signed"]) == ("12000.5", "5000.5", "true")
    assert (acme["close_date"], acme["tags"], acme["partners"]) == (
        "2026-10-15",
        "website, seo",
        "globex",
    )
    assert acme["client_email"] == "contact@acme.example"
    assert globex["name"] == '\'=HYPERLINK("http://evil.example")'
    assert globex["description"] == "'+33 1 99 00 54 79 then @ops"
    assert json.loads(acme["history"] or "[]") == []


def test_a_role_does_not_see_its_hidden_fields_nor_what_is_computed_from_them(workspace):
    root = workspace(DEALS)

    run = crm("-C", root, "export", "opportunities", "-f", "json", "--role", "junior", env=ENV)

    assert run.returncode == 0, run.stderr
    deals = json.loads(run.stdout)
    assert "cost" not in deals[0] and "profit" not in deals[0]
    assert deals[0]["amount"] == 12000.5
    assert deals[0]["close_date"] == "2026-10-15"
    everything = json.loads(
        crm("-C", root, "export", "opportunities", "-f", "json", env=ENV).stdout
    )
    assert everything[0]["profit"] == 5000.5
    wrong = crm("-C", root, "export", "opportunities", "--role", "juniour", env=ENV)
    assert wrong.returncode == 2
    assert "(did you mean “junior”?)" in wrong.stderr


def test_json_without_a_project_holds_every_project(workspace):
    root = workspace(DEALS)

    run = crm("-C", root, "export", "--format", "json", env=ENV)

    data = json.loads(run.stdout)
    assert sorted(data) == ["clients", "opportunities"]
    acme = next(c for c in data["clients"] if c["id"] == "acme")
    assert acme["won_total"] == 12000.5
    assert sorted(acme["opportunities"]) == ["acme-website"]


def test_xlsx_has_a_sheet_per_project_numbers_and_dates_as_cells_and_text_never_formulas(
    workspace, tmp_path
):
    from datetime import datetime

    from openpyxl import load_workbook

    root = workspace(DEALS)
    path = tmp_path / "crm.xlsx"

    run = crm("-C", root, "export", "--format", "xlsx", "--out", path, env=ENV)

    assert run.returncode == 0, run.stderr
    assert f"to {path}" in run.stdout
    workbook = load_workbook(path)
    assert workbook.sheetnames == ["Clients", "Opportunities"]
    rows = [list(row) for row in workbook["Opportunities"].iter_rows()]
    headers = [cell.value for cell in rows[0]]
    acme = dict(zip(headers, rows[1], strict=True))
    globex = dict(zip(headers, rows[2], strict=True))
    assert acme["amount"].value == 12000.5 and acme["amount"].data_type == "n"
    assert acme["close date"].value == datetime(2026, 10, 15)  # headers are the labels
    assert acme["signed"].value is True
    assert globex["name"].value == '\'=HYPERLINK("http://evil.example")'
    assert globex["name"].data_type == "s"
    assert all(cell.data_type != "f" for row in rows for cell in row)


def test_xlsx_export_imports_back(workspace, tmp_path):
    root = workspace(DEALS)
    path = tmp_path / "clients.xlsx"
    assert crm("-C", root, "export", "clients", "-f", "xlsx", "-o", path, env=ENV).returncode == 0
    (root / "clients/globex.yaml").unlink()
    (root / "opportunities/globex-seo.yaml").unlink()

    run = crm("-C", root, "import", "clients", path, "--key", "id", env=ENV)

    assert run.returncode == 0, run.stderr
    assert "1 created, 0 updated, 1 unchanged" in run.stdout
    assert (
        (root / "clients/globex.yaml")
        .read_text(encoding="utf-8")
        .startswith("name: Globex\nlist: Clients\nemail: info@globex.example\n")
    )


def test_sqlite_tables_join_on_foreign_keys(workspace, tmp_path):
    root = workspace(DEALS)
    path = tmp_path / "crm.sqlite"

    run = crm("-C", root, "export", "--format", "sqlite", "--out", path, env=ENV)

    assert run.returncode == 0, run.stderr
    with sqlite3.connect(path) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert tables == {"clients", "opportunities", "opportunities__partners"}
        keys = {
            (row[3], row[2], row[4]) for row in db.execute("PRAGMA foreign_key_list(opportunities)")
        }
        assert keys == {("client", "clients", "id")}
        links = {
            (row[3], row[2])
            for row in db.execute('PRAGMA foreign_key_list("opportunities__partners")')
        }
        assert links == {("id", "opportunities"), ("partners", "clients")}
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        won = db.execute(
            "SELECT c.name, SUM(o.amount), SUM(o.profit) FROM opportunities o "
            "JOIN clients c ON o.client = c.id WHERE o.list = 'Won' GROUP BY c.name"
        ).fetchall()
        assert won == [("Acme", 12000.5, 5000.5)]
        partners = db.execute(
            "SELECT o.name, c.email FROM opportunities__partners p "
            "JOIN opportunities o ON o.id = p.id JOIN clients c ON c.id = p.partners"
        ).fetchall()
        assert partners == [("Acme — Website", "info@globex.example")]
        assert db.execute(
            "SELECT tags, signed FROM opportunities WHERE id = 'acme-website'"
        ).fetchone() == (
            '["website", "seo"]',
            1,
        )


def test_sqlite_for_a_role_leaves_out_hidden_columns(workspace, tmp_path):
    root = workspace(DEALS)
    path = tmp_path / "junior.sqlite"

    crm(
        "-C",
        root,
        "export",
        "opportunities",
        "-f",
        "sqlite",
        "-o",
        path,
        "--role",
        "junior",
        env=ENV,
    )

    with sqlite3.connect(path) as db:
        columns = {row[1] for row in db.execute("PRAGMA table_info(opportunities)")}
    assert "amount" in columns
    assert not {"cost", "profit"} & columns


def test_csv_needs_a_project(workspace):
    run = crm("-C", workspace(), "export", "--format", "csv", env=ENV)

    assert run.returncode == 2
    assert "a CSV file holds one project" in run.stderr
