"""Writing record files: round-trip YAML (ruamel), minimal diffs.

A `RecordFile` is read once, changed in memory, and rendered back for an atomic write
(`editing/atomic.py`) that happens only if the file on disk is still the one that was read.
Comments, key order, quoting, blank lines and flow/block style survive because ruamel keeps
them and the indentation is the file's own.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from crmcli.core.yamlio import MAX_RECORD_BYTES, YamlReadError, parse, read_text
from crmcli.editing.atomic import sha256
from crmcli.errors import CrmError
from crmcli.i18n import _

FLOW_KEYS = frozenset({"tags"})  # short lists written inline, as people write them


def _yaml(mapping_indent: int = 2, sequence_indent: int = 2, offset: int = 0) -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold long names onto two lines
    yaml.indent(mapping=mapping_indent, sequence=sequence_indent, offset=offset)
    yaml.representer.add_representer(datetime, represent_datetime)
    yaml.representer.ignore_aliases = lambda data: (
        True
    )  # a shared value is written twice, never as &id001
    return yaml


def represent_datetime(representer: Any, value: datetime) -> Any:
    """A moment as ISO 8601, the one way record files write it (round-trip and new files)."""
    return representer.represent_scalar("tag:yaml.org,2002:timestamp", value.isoformat())


def _guess_indent(text: str) -> tuple[int, int, int]:
    """(mapping indent, sequence indent, dash offset) as the file already uses them."""
    mapping, offset = 2, 0
    lines = text.splitlines()
    for index, line in enumerate(lines):
        stripped = line.lstrip(" ")
        if stripped.startswith("- ") and index > 0 and lines[index - 1].rstrip().endswith(":"):
            offset = len(line) - len(stripped)
            break
    for line in lines:
        stripped = line.lstrip(" ")
        if stripped and not stripped.startswith(("-", "#")) and line != stripped:
            mapping = len(line) - len(stripped)
            break
    return mapping, max(mapping, offset + 2), offset


class RecordFile:
    """One record file, held as a ruamel document until `save()`."""

    def __init__(self, path: Path, relative: str, text: str | None) -> None:
        self.path = path
        self.relative = relative
        self.original = text
        self.original_sha = sha256(text.encode("utf-8")) if text is not None else None
        indents = _guess_indent(text) if text else (2, 2, 0)
        self._yaml = _yaml(*indents)
        self.document = self._load(text) if text is not None else self._new_document()

    @classmethod
    def open(cls, path: Path, relative: str) -> RecordFile:
        """Read an existing record; refuse (CrmError) a file that is not valid YAML."""
        try:
            text = read_text(path, MAX_RECORD_BYTES)
            document = parse(text)
        except YamlReadError as error:
            raise CrmError(
                _(
                    "{path}:{line}:{column}: {message}; fix the file by hand first, nothing was changed"
                ).format(path=relative, line=error.line, column=error.column, message=error.message)
            ) from None
        except FileNotFoundError:
            raise CrmError(_("{path} does not exist").format(path=relative)) from None
        if not isinstance(document.data, dict) or document.duplicates:
            raise CrmError(
                _(
                    "{path} is not a valid record (a mapping of fields without duplicate keys); "
                    "fix it by hand first, nothing was changed"
                ).format(path=relative)
            )
        return cls(path, relative, text)

    def _load(self, text: str) -> Any:
        return self._yaml.load(text)

    def _new_document(self) -> Any:
        from ruamel.yaml.comments import CommentedMap

        return CommentedMap()

    # changes

    def get(self, key: str) -> Any:
        return self.document.get(key)

    def set(self, key: str, value: Any, *, after: Iterable[str] = ()) -> None:
        """Set a field; a new key goes after the last of `after` present, else at the end."""
        value = self._node(key, value, self.document.get(key))
        if key in self.document:
            self.document[key] = value
            return
        position = len(self.document)
        keys = list(self.document)
        for anchor in after:
            if anchor in self.document:
                position = keys.index(anchor) + 1
        self.document.insert(position, key, value)

    def delete(self, key: str) -> bool:
        if key in self.document:
            del self.document[key]
            return True
        return False

    def append(self, key: str, item: dict[str, Any]) -> None:
        """Append a flow mapping such as a history entry to a list field."""
        from ruamel.yaml.comments import CommentedMap, CommentedSeq

        entry = CommentedMap(item)
        entry.fa.set_flow_style()
        current = self.document.get(key)
        if isinstance(current, list):
            current.append(entry)
        else:
            self.set(key, CommentedSeq([entry]))

    def _node(self, key: str, value: Any, previous: Any = None) -> Any:
        from ruamel.yaml.comments import CommentedSeq

        if isinstance(value, list) and not isinstance(value, CommentedSeq):
            sequence = CommentedSeq(value)
            scalars = bool(value) and all(isinstance(v, str | int | float | date) for v in value)
            if isinstance(previous, CommentedSeq):  # keep the style the file already uses
                flow = bool(previous.fa.flow_style())
            else:
                flow = key in FLOW_KEYS or scalars
            if flow:
                sequence.fa.set_flow_style()
            else:
                sequence.fa.set_block_style()
            return sequence
        return value

    # output

    def render(self) -> str:
        buffer = io.StringIO()
        self._yaml.dump(self.document, buffer)
        text = buffer.getvalue()
        if self.original and "\r\n" in self.original:  # keep Windows line endings
            text = text.replace("\r\n", "\n").replace("\n", "\r\n")
        return text

    def plain_data(self) -> dict[str, Any]:
        """The document as the fast reader will see it after writing."""
        return parse(self.render()).data
