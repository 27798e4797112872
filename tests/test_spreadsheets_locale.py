"""Issue 15, point 5: spreadsheets people open. CSV in the dialect of the workspace locale
(French and Russian Excel: `;`, decimal comma, UTF-8 with BOM) read back by the real importer;
xlsx with labels as headers, money and date number formats, a frozen header and a filter;
import problems by spreadsheet row, a multi-line cell shifting nothing."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

import pytest

from .conftest import BASE_FILES, crm_in_process
from .test_import import ENV, records

SCHEMA = BASE_FILES["opportunities/_project.yaml"].rstrip(" ") + (
    "          close_date: {type: date, label: Date de signature}\n"
    "          share: {type: percent}\n"
)
DEAL = """
    name: Ёлка — Сайт
    list: Lead
    client: acme
    amount: 12000.5
    cost: 7000
    share: 12.5
    close_date: 2026-10-15
    description: "first line\\nsecond line"
"""


@pytest.fixture
def root(workspace) -> Path:
    return workspace(
        {
            "opportunities/_project.yaml": SCHEMA,
            "opportunities/acme-website.yaml": None,
            "opportunities/yolka.yaml": DEAL,
        }
    )


def export(root: Path, *args: str) -> bytes:
    result = crm_in_process("-C", root, "export", "opportunities", *args, env=ENV)
    assert result.returncode == 0, result.stderr
    return result.stdout.encode("utf-8")


def test_a_french_workspace_exports_csv_for_french_excel(root):
    data = export(root, "--format", "csv")
    assert data.startswith(b"\xef\xbb\xbfid;name;list;")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
    deal = dict(zip(rows[0], rows[1], strict=True))
    assert (deal["amount"], deal["profit"], deal["share"]) == ("12000,5", "5000,5", "12,5")
    assert deal["close_date"] == "2026-10-15"
    assert deal["description"] == "first line\nsecond line"


@pytest.mark.parametrize(
    ("dialect", "start", "amount"),
    [
        ("excel", b"\xef\xbb\xbfid,name,", b",12000.5,"),
        ("excel-fr", b"\xef\xbb\xbfid;name;", b";12000,5;"),
        ("rfc4180", b"id,name,", b",12000.5,"),
    ],
)
def test_the_dialect_option_chooses_separator_decimal_mark_and_bom(root, dialect, start, amount):
    data = export(root, "--format", "csv", "--dialect", dialect)
    assert data.startswith(start)
    assert amount in data


def test_an_english_workspace_exports_plain_csv_by_default(workspace):
    crm_yaml = BASE_FILES["crm.yaml"].replace("fr_FR", "en_US")
    root = workspace({"crm.yaml": crm_yaml})
    assert export(root, "--format", "csv").startswith(b"id,name,list,")


@pytest.mark.parametrize("dialect", ["excel-fr", "excel", "rfc4180"])
def test_every_dialect_imports_back_into_the_same_record(root, tmp_path, dialect):
    before = records(root, "opportunities")
    table = tmp_path / "deals.csv"
    table.write_bytes(export(root, "--format", "csv", "--dialect", dialect))
    (root / "opportunities/yolka.yaml").unlink()

    imported = crm_in_process("-C", root, "import", "opportunities", table, "--key", "id", env=ENV)

    assert imported.returncode == 0, imported.stderr
    after = records(root, "opportunities")
    for key in ("name", "amount", "cost", "share", "close_date", "description"):
        assert after["yolka"][key] == before["yolka"][key], key


def test_xlsx_has_labels_number_formats_a_frozen_header_and_a_filter(root, tmp_path):
    from openpyxl import load_workbook

    path = tmp_path / "deals.xlsx"
    export(root, "--format", "xlsx", "--out", str(path))

    sheet = load_workbook(path)["Opportunities"]
    headers = [cell.value for cell in sheet[1]]
    assert "Date de signature" in headers and "close_date" not in headers
    deal = dict(zip(headers, sheet[2], strict=True))
    assert deal["amount"].value == 12000.5
    assert deal["amount"].number_format == '#,##0.00 "€"'
    assert deal["Date de signature"].value == datetime(2026, 10, 15)
    assert deal["Date de signature"].number_format == "dd/mm/yyyy"
    assert deal["share"].value == 12.5 and "%" in deal["share"].number_format
    assert deal["name"].number_format == "General"
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, len(headers)).column_letter}2"


def test_a_russian_xlsx_formats_roubles_and_russian_dates(workspace, tmp_path):
    from openpyxl import load_workbook

    crm_yaml = BASE_FILES["crm.yaml"].replace("fr_FR", "ru_RU").replace("EUR", "RUB")
    root = workspace({"crm.yaml": crm_yaml, "opportunities/_project.yaml": SCHEMA})
    path = tmp_path / "deals.xlsx"
    export(root, "--format", "xlsx", "--out", str(path))
    sheet = load_workbook(path)["Opportunities"]
    headers = [cell.value for cell in sheet[1]]
    deal = dict(zip(headers, sheet[2], strict=True))
    assert deal["amount"].number_format == '#,##0.00 "₽"'


def test_the_xlsx_export_imports_back_by_its_labels(root, tmp_path):
    before = records(root, "opportunities")
    path = tmp_path / "deals.xlsx"
    export(root, "--format", "xlsx", "--out", str(path))
    (root / "opportunities/yolka.yaml").unlink()

    imported = crm_in_process("-C", root, "import", "opportunities", path, "--key", "id", env=ENV)

    assert imported.returncode == 0, imported.stderr
    assert records(root, "opportunities")["yolka"]["close_date"] == before["yolka"]["close_date"]


def test_import_problems_name_the_spreadsheet_row_after_a_multi_line_cell(root, tmp_path):
    table = tmp_path / "deals.csv"
    table.write_text(
        "name;client;amount;description\n"
        'Bon;acme;100;"une\nnote\nsur trois lignes"\n'
        "Mauvais;acme;beaucoup;\n",
        encoding="utf-8-sig",
    )
    imported = crm_in_process("-C", root, "import", "opportunities", table, env=ENV)
    assert imported.returncode == 1
    assert "row 3, column “amount”" in imported.stderr, imported.stderr
