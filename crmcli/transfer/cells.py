"""Values as spreadsheet cells, both ways: `crm export` writes them, `crm import` reads them back.

A value becomes the text a person would type (12000.5, 2026-12-31, ids for references). A
spreadsheet runs a cell starting with = + - @ (or a tab or carriage return) as a formula, so
exports prefix such text with a quote (OWASP's advice); imports drop that quote again, so that
exporting and importing gives back the same value (a phone number +33 1 99 00 …).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, TextIO

from crmcli.core.yamlio import jsonable

ID = "id"  # the column holding the record's id: `crm export` writes it, `crm import` reads it
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(cell: Any) -> Any:
    """Spreadsheets run cells starting with = + - @ as formulas: prefix them with a quote."""
    if isinstance(cell, str) and cell[:1] in FORMULA_STARTS:
        return "'" + cell
    return cell


def write_csv_rows(out: TextIO, rows: Iterable[Sequence[Any]], delimiter: str = ",") -> None:
    """Rows as CSV, one per line ending in \\n. The csv module quotes a cell only for the
    characters of its line ending, so a cell with a bare carriage return would split its row
    for every reader: such a row has every cell quoted."""
    minimal = csv.writer(out, lineterminator="\n", delimiter=delimiter)
    quoted = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL, delimiter=delimiter)
    for row in rows:
        has_bare_cr = any(isinstance(cell, str) and "\r" in cell for cell in row)
        (quoted if has_bare_cr else minimal).writerow(row)


def restore_formula(text: str) -> str:
    """The text a neutralised cell stood for: “'=1+2” → “=1+2”; other text unchanged."""
    if text[:1] == "'" and text[1:2] in FORMULA_STARTS and text[1:2]:
        return text[1:]
    return text


def cell_text(value: Any) -> str:
    """A value as a CSV cell that `crm import` reads back to the same value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")  # never 1e+20, which is no number to people
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list) and not any(isinstance(v, dict | list) for v in value):
        return ", ".join(cell_text(v) for v in value)
    if isinstance(value, list | dict):
        return json.dumps(jsonable(value), ensure_ascii=False)
    return str(value)
