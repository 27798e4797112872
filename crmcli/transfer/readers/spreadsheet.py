"""Excel workbooks (.xlsx), read with openpyxl in read-only mode: rows stream from the file.

Cells give the values Excel last computed (a formula's result, not its text), turned into
the text the importer reads: whole numbers without “.0”, dates as YYYY-MM-DD.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time
from pathlib import Path
from typing import Any

from crmcli.core.problems import did_you_mean
from crmcli.errors import UsageError
from crmcli.i18n import _
from crmcli.i18n.lists import value_list
from crmcli.transfer.cells import cell_text
from crmcli.transfer.readers import Row, TableError


class XlsxTable:
    def __init__(self, path: Path, sheet: str | None) -> None:
        import zipfile

        from openpyxl import load_workbook
        from openpyxl.utils.exceptions import InvalidFileException

        self.path = path
        try:
            _refuse_entities(path)
            self._workbook = load_workbook(path, read_only=True, data_only=True)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError):
            raise TableError(path, _("this is not an Excel workbook (.xlsx)")) from None
        names = self._workbook.sheetnames
        if sheet is not None and sheet not in names:
            self._workbook.close()
            raise UsageError(
                _("{path} has no sheet “{sheet}” (sheets: {names}){hint}").format(
                    path=path, sheet=sheet, names=value_list(names), hint=did_you_mean(sheet, names)
                )
            )
        worksheet = self._workbook[sheet or names[0]]
        self._total = worksheet.max_row or 0
        self._done = 0
        self._width = 0  # Excel leaves out empty cells at the end of a row: pad to the header
        self._rows = self._read(worksheet)
        header = next(self._rows, None)
        if header is None:
            self.close()
            raise TableError(path, _("the sheet “{sheet}” is empty").format(sheet=worksheet.title))
        self.headers = [cell.strip() for cell in header.cells]
        self._width = len(self.headers)
        self.header_row = header.number
        self.description = _("sheet “{sheet}”").format(sheet=worksheet.title)

    def _read(self, worksheet: Any) -> Iterator[Row]:
        # no max_row: in read-only mode it would come from <dimension>, which a file may get wrong
        for number, values in enumerate(worksheet.iter_rows(min_row=1, values_only=True), 1):
            self._done = number
            cells = [typed_text(value) for value in values]
            while cells and not cells[-1].strip():
                cells.pop()
            if cells:
                cells.extend([""] * (self._width - len(cells)))
                yield Row(number, cells)

    def rows(self) -> Iterator[Row]:
        return self._rows

    def progress(self) -> float:
        return min(1.0, self._done / self._total) if self._total else 0.0

    def close(self) -> None:
        self._workbook.close()


_DECLARATIONS = tuple(
    mark.encode(encoding)
    for mark in ("<!DOCTYPE", "<!ENTITY")
    for encoding in ("utf-8", "utf-16-le", "utf-16-be")
)
_CHUNK = 1 << 20


def _refuse_entities(path: Path) -> None:
    """Excel never declares XML entities; a workbook that does may expand a few bytes into
    gigabytes (“billion laughs”) or read other files, so it is refused before openpyxl
    parses it."""
    import zipfile

    overlap = max(len(mark) for mark in _DECLARATIONS)
    with zipfile.ZipFile(path) as archive:
        for member in archive.infolist():
            if not member.filename.endswith((".xml", ".rels", ".vml")):
                continue
            with archive.open(member) as part:
                tail = b""
                for chunk in iter(lambda: part.read(_CHUNK), b""):
                    window = tail + chunk
                    if any(mark in window for mark in _DECLARATIONS):
                        raise TableError(path, _("this workbook declares XML entities"))
                    tail = window[-overlap:]


def typed_text(value: Any) -> str:
    """A cell's value as the text a person would have typed: 3 for Excel's 3.0, a date for a
    moment at midnight."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime) and value.time() == time():
        return value.date().isoformat()
    return cell_text(value)
