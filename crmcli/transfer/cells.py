"""Spreadsheet cells that must never run as formulas, both ways.

A spreadsheet runs a cell starting with = + - @ (or a tab or carriage return) as a formula,
so exports prefix such text with a quote (OWASP's advice); imports drop that quote again,
so that exporting and importing gives back the same value (a phone number +33 1 99 00 …).
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(cell: Any) -> Any:
    """Spreadsheets run cells starting with = + - @ as formulas: prefix them with a quote."""
    if isinstance(cell, str) and cell[:1] in FORMULA_STARTS:
        return "'" + cell
    return cell


def restore_formula(text: str) -> str:
    """The text a neutralised cell stood for: “'=1+2” → “=1+2”; other text unchanged."""
    if text[:1] == "'" and text[1:2] in FORMULA_STARTS and text[1:2]:
        return text[1:]
    return text
