"""A value holding a bare carriage return stays one cell in CSV output (issue 13, point 2): the
csv module quotes only the characters of its line ending, and every CSV reader splits a row at
a lone \\r, so such a row used to come back as two rows with the value cut in half."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

from .test_import import ENV

NOTE = "first line\rsecond line"
FILES = {
    "opportunities/acme-website.yaml": f"""
        name: Acme — Website
        list: Won
        client: acme
        amount: 12000
        cost: 7000
        description: "{NOTE.replace(chr(13), chr(92) + "r")}"
    """,
}


def _csv_of(*args: str | Path) -> list[list[str]]:
    """The rows a CSV reader gets from `crm` stdout, its bytes untouched (text mode would turn
    the carriage return into a newline before the reader sees it)."""
    completed = subprocess.run(
        [sys.executable, "-m", "crmcli", *map(str, args)],
        env={**os.environ, **ENV},
        capture_output=True,
        check=True,
    )
    return list(csv.reader(io.StringIO(completed.stdout.decode("utf-8"), newline="")))


def test_export_csv_keeps_a_bare_carriage_return_inside_its_cell(workspace):
    root = workspace(FILES)

    rows = _csv_of("-C", root, "export", "opportunities", "--format", "csv", "--dialect", "excel")

    assert len(rows) == 2
    headers, deal = rows
    assert deal[headers.index("description")] == NOTE


def test_list_csv_keeps_a_bare_carriage_return_inside_its_cell(workspace):
    root = workspace(FILES)

    rows = _csv_of(
        "-C", root, "list", "opportunities", "--columns", "name,description", "--format", "csv"
    )

    assert rows == [["name", "description"], ["Acme — Website", NOTE]]
