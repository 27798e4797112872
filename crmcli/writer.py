"""Writing record files: round-trip YAML (ruamel), minimal diffs, atomic replacement.

A `RecordFile` is read once, changed in memory, and written back through a temp file in the
same folder renamed over the original — but only if the file on disk is still the one that
was read (same sha256), so a concurrent edit is never overwritten. Comments, key order,
quoting, blank lines and flow/block style survive because ruamel keeps them and the
indentation is the file's own.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from .errors import CrmError
from .i18n import _
from .yamlio import MAX_RECORD_BYTES, YamlReadError, parse, read_text

FLOW_KEYS = frozenset({"tags"})  # short lists written inline, as people write them


def _yaml(mapping_indent: int = 2, sequence_indent: int = 2, offset: int = 0) -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold long names onto two lines
    yaml.indent(mapping=mapping_indent, sequence=sequence_indent, offset=offset)
    yaml.representer.add_representer(datetime, _represent_datetime)
    yaml.representer.ignore_aliases = lambda data: (
        True
    )  # a shared value is written twice, never as &id001
    return yaml


def _represent_datetime(representer: Any, value: datetime) -> Any:
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


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


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

    @classmethod
    def create(cls, path: Path, relative: str) -> RecordFile:
        return cls(path, relative, None)

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


@dataclass(frozen=True, slots=True)
class PendingWrite:
    """New content for a file; expected_sha is the sha256 of what was read (None: a new file)."""

    path: Path
    text: str
    expected_sha: str | None


def write_atomically(path: Path, text: str, expected_sha: str | None) -> None:
    """Replace `path` with `text` via a temp file in the same folder, unless it changed since
    it was read (then nothing is written)."""
    write_all_atomically([PendingWrite(path, text, expected_sha)])


def write_all_atomically(writes: Sequence[PendingWrite]) -> None:
    """All the files or none: every file is checked against what was read, every new content
    goes to a temp file beside its target, and only then are the temp files renamed into place."""
    for write in writes:
        _refuse_stale(write.path, write.expected_sha)
    staged: list[tuple[Path, Path]] = []
    try:
        for write in writes:
            staged.append((_write_temporary(write.path, write.text), write.path))
    except BaseException:
        for temporary, _target in staged:
            temporary.unlink(missing_ok=True)
        raise
    for temporary, target in staged:
        temporary.replace(target)


def _refuse_stale(path: Path, expected_sha: str | None) -> None:
    if _current_sha(path) == expected_sha:
        return
    if expected_sha is None:
        raise CrmError(_("{path} already exists").format(path=path.name))
    raise CrmError(
        _(
            "{path} was changed by someone else since it was read; nothing was written, try again"
        ).format(path=path.name)
    )


def _write_temporary(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    temporary = Path(name)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.chmod(path.stat().st_mode & 0o7777 if path.exists() else 0o644)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def _current_sha(path: Path) -> str | None:
    try:
        return sha256(path.read_bytes())
    except FileNotFoundError:
        return None
