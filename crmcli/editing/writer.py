"""Writing record files: round-trip YAML (ruamel), minimal diffs, atomic replacement.

A `RecordFile` is read once, changed in memory, and written back through a temp file in the
same folder renamed over the original — but only if the file on disk is still the one that
was read (same sha256), so a concurrent edit is never overwritten. Comments, key order,
quoting, blank lines and flow/block style survive because ruamel keeps them and the
indentation is the file's own.
"""

from __future__ import annotations

import errno
import functools
import hashlib
import io
import math
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from yaml.cyaml import CEmitter
from yaml.nodes import ScalarNode
from yaml.representer import SafeRepresenter

from crmcli.core.yamlio import MAX_RECORD_BYTES, QuotingResolver, YamlReadError, parse, read_text
from crmcli.errors import CrmError
from crmcli.i18n import _

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


# new record files


class _RecordDumper(CEmitter, SafeRepresenter, QuotingResolver):  # type: ignore[misc]
    """PyYAML's C emitter for the values the fast path below leaves to it."""

    def __init__(self, stream: Any, **options: Any) -> None:
        CEmitter.__init__(self, stream, width=4096, allow_unicode=True)
        SafeRepresenter.__init__(
            self,
            default_style=options.get("default_style"),
            default_flow_style=options.get("default_flow_style"),
        )
        QuotingResolver.__init__(self)


def _represent_text(representer: Any, value: str) -> Any:
    # several lines as a literal block, as people write them (quoted inside [] and {}, and
    # when a block could not keep trailing blank lines or spaces)
    block = "\n" in value and not value.endswith("\n\n") and value.rstrip("\n") == value.rstrip()
    style = representer.default_style or ("|" if block else None)
    return representer.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_RecordDumper.add_representer(datetime, _represent_datetime)
_RecordDumper.add_representer(str, _represent_text)

# Text that can be written without quotes: no indicator first, no “: ” or “ #”, printable.
_PLAIN = re.compile(
    r"[^\s\-?:,\[\]{}#&*!|>'\"%@`]"
    r"(?:[^\n\r\t\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff:#]|:(?! )|(?<! )#)*"
    r"(?<![\s:])"
)
_FLOW_UNSAFE = frozenset(",[]{}:#")
_QUOTING = QuotingResolver()


@functools.lru_cache(maxsize=8192)  # keys, lists, members and options come back every record
def _plain(text: str, flow: bool) -> bool:
    if not _PLAIN.fullmatch(text) or (flow and not _FLOW_UNSAFE.isdisjoint(text)):
        return False
    return _QUOTING.resolve(ScalarNode, text, (True, False)) == "tag:yaml.org,2002:str"


def _block_value(value: Any) -> str:
    """A top-level value as it follows `key:`, with its own line breaks for blocks."""
    if isinstance(value, str) and _plain(value, flow=False):
        return " " + value
    if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        return "".join("\n- " + _flow_mapping(item) for item in value)
    if isinstance(value, list):
        return " [" + ", ".join(_flow_value(item) for item in value) + "]"
    simple = _simple_scalar(value)
    if simple is not None:
        return " " + simple
    dumped = yaml.dump({"k": value}, Dumper=_RecordDumper, default_flow_style=False)
    return dumped[2:].rstrip("\n")


def _flow_mapping(item: dict[str, Any]) -> str:
    return "{" + ", ".join(f"{_flow_value(k)}: {_flow_value(v)}" for k, v in item.items()) + "}"


def _flow_value(value: Any) -> str:
    if isinstance(value, str) and _plain(value, flow=True):
        return value
    simple = _simple_scalar(value)
    if simple is not None:
        return simple
    style = '"' if isinstance(value, str) and "\n" in value else None
    dumped = yaml.dump([value], Dumper=_RecordDumper, default_style=style, default_flow_style=True)
    return dumped.strip()[1:-1]


def _simple_scalar(value: Any) -> str | None:
    """Numbers, yes/no, dates and moments: their plain form, which needs no quotes."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        text = repr(value)  # 1e+20 is text to YAML 1.1: write 1.0e+20
        return text.replace("e", ".0e") if "e" in text and "." not in text else text
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return None


def render_record(data: Mapping[str, Any]) -> str:
    """A new record file in the canonical layout, keys in the order given: one `key: value`
    line per field, lists of values inline (`tags: [seo, website]`), lists of entries one per
    line (`- {list: Won, at: …, by: alice}`), several lines of text as a literal block.

    The common values are formatted directly, which is what makes an import of 100,000
    records fast; anything unusual goes through PyYAML's emitter, and quoting follows the
    reader's YAML 1.2 rules and YAML 1.1's, so every value reads back as it was given.
    """
    return "".join(f"{_flow_value(key)}:{_block_value(value)}\n" for key, value in data.items())


def create_files(files: Iterable[tuple[Path, str]], staging: Path) -> int:
    """Create many new files, each whole or not at all, none overwriting an existing file.

    Each file is written to a temp file in `staging` (a folder on the same disk, such as the
    workspace's .crm/) and hard-linked to its name, which fails if the name exists. Staging
    outside the target folder keeps that folder's index from churning: with 100,000 files in
    one folder, temp files beside them make the batch four times slower. Durability: files
    are not fsynced one by one (that would cost more than everything else in a 100,000-record
    import); the batch is flushed to disk once at the end with sync(). A crash before that may
    lose files of the batch, but never leaves one half written where a reader sees it, and
    never touches an existing file. Plain os calls on str paths: an import waits on this loop.
    """
    count = 0
    with tempfile.TemporaryDirectory(dir=staging, prefix="new-files-") as folder:
        temporary = f"{folder}{os.sep}record.tmp"
        for path, text in files:
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            try:
                with os.fdopen(descriptor, "wb") as handle:
                    handle.write(text.encode("utf-8"))
                _link(temporary, str(path))
            finally:
                os.unlink(temporary)  # noqa: PTH108 — str paths, see above
            count += 1
    os.sync()
    return count


def _link(temporary: str, target: str) -> None:
    try:
        os.link(temporary, target)
    except FileExistsError:
        raise CrmError(_("{path} already exists").format(path=Path(target).name)) from None
    except OSError as error:
        if error.errno != errno.EXDEV:
            raise
        # the target folder is on another disk (a mount point): stage beside it
        beside = f"{target}.{os.getpid()}.tmp"
        shutil.copyfile(temporary, beside)
        try:
            _link(beside, target)
        finally:
            os.unlink(beside)  # noqa: PTH108
