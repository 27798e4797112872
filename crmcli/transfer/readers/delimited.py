"""CSV files as spreadsheets and other CRMs save them: comma, semicolon (French Excel), tab or
bar between values; UTF-8 with or without a byte order mark, UTF-16, or a legacy code page
(cp1252/latin-1 for Western Europe, cp1251 for Russian) recognised by charset-normalizer."""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from crmcli.i18n import _
from crmcli.transfer.readers import Row, TableError

DELIMITERS = ",;\t|"
SNIFF_CHARS = 32_768
CHUNK_BYTES = 1 << 20
SAMPLE_BYTES = 65_536
# The legacy code pages a CRM's users save CSV files in; the workspace's language breaks ties
# (a short file where only “é” or “€” is not ASCII reads the same in several of them).
LEGACY_ENCODINGS = ("cp1252", "cp1251", "koi8_r", "mac_roman", "cp850", "iso8859_15")
CYRILLIC_LANGUAGES = ("ru", "uk", "be", "bg", "sr", "mk", "kk")


class CsvTable:
    def __init__(self, path: Path, locale: str) -> None:
        self.path = path
        self.size = path.stat().st_size
        if self.size == 0:
            raise TableError(path, _("the file is empty: no header row, no rows"))
        self.encoding = sniff_encoding(path, locale)
        self._handle: IO[str] = path.open(encoding=self.encoding, newline="")
        try:
            self.delimiter = sniff_delimiter(self._handle.read(SNIFF_CHARS))
        except UnicodeDecodeError:
            self._handle.close()
            raise TableError(path, _("the file is not text in its own encoding")) from None
        self._handle.seek(0)
        self._reader = csv.reader(self._handle, delimiter=self.delimiter)
        self._records = 0
        self.headers, self.header_row = self._read_header()
        name = {"\t": _("tab"), "|": "|"}.get(self.delimiter, self.delimiter)
        self.description = f"{_encoding_name(self.encoding)}, “{name}”"

    def _read_header(self) -> tuple[list[str], int]:
        for row in self._rows():
            return [cell.strip() for cell in row.cells], row.number
        raise TableError(self.path, _("the file holds only empty lines: no header row"))

    def _rows(self) -> Iterator[Row]:
        while True:
            try:
                cells = next(self._reader)
            except StopIteration:
                return
            except (csv.Error, UnicodeDecodeError) as error:
                raise TableError(
                    self.path,
                    _("line {line}: cannot read it as CSV ({reason})").format(
                        line=self._reader.line_num, reason=error
                    ),
                ) from None
            self._records += 1  # a spreadsheet's row: a cell's line breaks do not count
            if any(cell.strip() for cell in cells):
                yield Row(self._records, cells)

    def rows(self) -> Iterator[Row]:
        return self._rows()

    def progress(self) -> float:
        return min(1.0, self._handle.buffer.tell() / self.size)

    def close(self) -> None:
        self._handle.close()


def sniff_encoding(path: Path, locale: str) -> str:
    """The file's text encoding; TableError for binary data or text in no known encoding."""
    with path.open("rb") as handle:
        start = handle.read(4)
        if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        marked = start.startswith(codecs.BOM_UTF8)  # a promise the bytes below must keep
        handle.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        is_utf8, sample = True, bytearray()
        for chunk in iter(lambda: handle.read(CHUNK_BYTES), b""):
            _refuse_binary(path, chunk, handle.tell() - len(chunk))
            if chunk.isascii():
                continue
            if is_utf8:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    is_utf8 = False
            if len(sample) < SAMPLE_BYTES:  # the lines that tell code pages apart
                lines = [line for line in chunk.split(b"\n") if not line.isascii()]
                sample += b"\n".join(lines) + b"\n"
    if is_utf8:
        return "utf-8-sig" if marked else "utf-8"
    if marked:
        raise TableError(
            path, _("the file starts as UTF-8 text but goes on with bytes that are not text")
        )
    return _legacy_encoding(path, bytes(sample[:SAMPLE_BYTES]), locale)


def _refuse_binary(path: Path, chunk: bytes, offset: int) -> None:
    position = chunk.find(b"\0")
    if position < 0:
        return
    if offset == 0 and chunk.startswith(b"PK\x03\x04"):
        raise TableError(
            path,
            _("this is a zip file, not CSV text (an Excel workbook? name it .xlsx)"),
        )
    raise TableError(
        path,
        _("this is binary data, not CSV text (a zero byte at byte {offset})").format(
            offset=offset + position
        ),
    )


def _legacy_encoding(path: Path, sample: bytes, locale: str) -> str:
    from charset_normalizer import from_bytes

    preferred = "cp1251" if locale.split("_")[0].lower() in CYRILLIC_LANGUAGES else "cp1252"
    matches = list(from_bytes(sample, cp_isolation=list(LEGACY_ENCODINGS)))
    if not matches:
        raise TableError(
            path, _("the text is neither UTF-8 nor a known code page; save it as UTF-8 CSV")
        )
    best = min(
        matches,
        key=lambda m: (round(m.chaos, 2), -round(m.coherence, 2), m.encoding != preferred),
    )
    return best.encoding


def sniff_delimiter(sample: str) -> str:
    """The delimiter csv.Sniffer finds, if the header uses it; else the header's most common."""
    sample = sample[: sample.rfind("\n") + 1] or sample  # whole lines only
    header = next((line for line in sample.splitlines() if line.strip()), "")
    counts = {delimiter: header.count(delimiter) for delimiter in DELIMITERS}
    try:
        found = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        found = ""
    if counts.get(found):
        return found
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def _encoding_name(encoding: str) -> str:
    return {
        "utf-8": "UTF-8",
        "utf-8-sig": _("UTF-8 with BOM"),
        "utf-16": "UTF-16",
    }.get(encoding, encoding)
