"""Rows from the files people bring: CSV (delimiter and encoding sniffed) and Excel (.xlsx).

A table gives its header and then its rows one at a time, so a file of any length is read in
bounded memory. Every cell is text, as the person typed it; typing values is the importer's
job. A file that is not a table at all (empty, binary, not a workbook) raises CrmError.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from crmcli.errors import CrmError, UsageError
from crmcli.i18n import _


@dataclass(frozen=True, slots=True)
class Row:
    """One row; `number` is the row as a spreadsheet numbers it (the header is usually 1)."""

    number: int
    cells: list[str]


class Table(Protocol):
    path: Path
    headers: list[str]
    header_row: int
    description: str  # how the file was read: “UTF-8, ';'”, “sheet Pipeline”

    def rows(self) -> Iterator[Row]: ...

    def progress(self) -> float:
        """How far reading has got, from 0 to 1."""
        ...

    def close(self) -> None: ...


def open_table(path: Path, sheet: str | None = None, locale: str = "en_US") -> Table:
    """The table in `path`, by its extension; the header row is read at once."""
    if not path.is_file():
        raise UsageError(_("{path}: no such file").format(path=path))
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        from crmcli.transfer.readers.spreadsheet import XlsxTable

        return XlsxTable(path, sheet)
    if suffix in (".csv", ".txt", ".tsv"):
        from crmcli.transfer.readers.delimited import CsvTable

        if sheet:
            raise UsageError(
                _("--sheet is for Excel files; {path} is a CSV file").format(path=path)
            )
        return CsvTable(path, locale)
    raise UsageError(
        _("{path}: import reads .csv and .xlsx files (save other formats as one of them)").format(
            path=path
        )
    )


class TableError(CrmError):
    """The file cannot be read as a table; nothing was imported."""

    def __init__(self, path: Path, message: str) -> None:
        super().__init__(
            _("{path}: {message}; nothing was imported").format(path=path, message=message)
        )
