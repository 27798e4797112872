"""Reading YAML fast and safely.

Records are parsed into plain Python values by yaml-rs where it reads them exactly as PyYAML
would (`core/fast_yaml.py`), else by PyYAML's C loader; positions are not kept on either path
because most files have no problem. When a message needs the line of a key,
`key_positions` composes the file again (also in C) and maps every key path to its line
and column.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
import yaml.resolver
from yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent, ScalarEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from crmcli.core.fast_yaml import NOT_FAST, parse_fast
from crmcli.i18n import _

MAX_RECORD_BYTES = 1_000_000
MAX_CONFIG_BYTES = 5_000_000
MAX_EXPANDED_NODES = 100_000
_MAX_INT_CHARS = 1_000  # sys.get_int_max_str_digits() is 4,300 digits of the decimal form
_MERGE_TAG = "tag:yaml.org,2002:merge"
_ANCHOR = re.compile(r"(?:^|[\s\[{,:-])&[^\s]")

KeyPath = tuple[str | int, ...]


class YamlReadError(Exception):
    """A file that cannot be read as YAML; line and column are 1-based (0: unknown)."""

    def __init__(self, code: str, message: str, line: int = 0, column: int = 0) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.line = line
        self.column = column


@dataclass(frozen=True, slots=True)
class DuplicateKey:
    key: str
    line: int
    column: int


@dataclass(slots=True)
class YamlDocument:
    data: Any
    duplicates: list[DuplicateKey] = field(default_factory=list)


_BOOL, _INT, _FLOAT = (f"tag:yaml.org,2002:{kind}" for kind in ("bool", "int", "float"))


class _Yaml12Resolver(yaml.resolver.Resolver):
    """YAML 1.2 core scalars: only true/false are booleans, so `on:`, `no` and `NO` (Norway)
    stay text; no octal `017` or sexagesimal `12:30` numbers. ruamel writes with the same rules.
    """


_Yaml12Resolver.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in (_BOOL, _INT, _FLOAT)]
    for first, resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.items()
}
_Yaml12Resolver.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Yaml12Resolver.add_implicit_resolver(
    _INT, re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"), list("-+0123456789")
)
_Yaml12Resolver.add_implicit_resolver(
    _FLOAT,
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+.0123456789"),
)


class QuotingResolver(yaml.resolver.Resolver):
    """For writing: a text is written without quotes only if neither YAML 1.1 nor the YAML 1.2
    rules above would read it as something else (`yes`, `0o17`, `1_000`, `2025-10-15`), so
    every YAML tool reads a written file the same way."""


for _first, _resolvers in _Yaml12Resolver.yaml_implicit_resolvers.items():
    for _tag, _regexp in _resolvers:
        QuotingResolver.add_implicit_resolver(_tag, _regexp, [_first])


class _FastLoader(yaml.CSafeLoader, _Yaml12Resolver):
    """The C parser with YAML 1.2 scalars, duplicate-key detection and lenient timestamps."""

    def __init__(self, stream: str | bytes) -> None:
        super().__init__(stream)
        self.duplicates: list[DuplicateKey] = []

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, MappingNode) and len(node.value) > 1:
            self._note_duplicates(node)
        return super().construct_mapping(node, deep)

    def _note_duplicates(self, node: MappingNode) -> None:
        seen: set[str] = set()
        for key_node, _value in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag == _MERGE_TAG:
                continue
            if key_node.value in seen:
                mark = key_node.start_mark
                self.duplicates.append(DuplicateKey(key_node.value, mark.line + 1, mark.column + 1))
            seen.add(key_node.value)

    def construct_yaml12_int(self, node: ScalarNode) -> int:
        text = node.value
        if len(text) > _MAX_INT_CHARS:  # Python could neither read nor print it
            raise yaml.constructor.ConstructorError(
                problem=_("a number of {count} digits is longer than any value may be").format(
                    count=len(text)
                ),
                problem_mark=node.start_mark,
            )
        if text.startswith(("0o", "0x")):
            return int(text[2:], 8 if text[1] == "o" else 16)
        return int(text, 10)

    def construct_lenient_timestamp(self, node: ScalarNode) -> Any:
        """`2025-02-30` looks like a date but is none: keep the text, let the field say why."""
        try:
            return self.construct_yaml_timestamp(node)
        except ValueError:
            return node.value


_FastLoader.add_constructor("tag:yaml.org,2002:timestamp", _FastLoader.construct_lenient_timestamp)
_FastLoader.add_constructor(_INT, _FastLoader.construct_yaml12_int)


def read_text(path: Path, max_bytes: int) -> str:
    """The file's text, refusing files that are too large, not regular, or not UTF-8."""
    return decode_text(read_regular(path, max_bytes))


# O_NONBLOCK: opening a FIFO must not wait for a writer; O_NOCTTY: a terminal stays ours
_READ_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC


def read_regular(path: Path | str, max_bytes: int, follow: bool = True) -> bytes:
    """The bytes of a regular file, at most max_bytes: a FIFO, a device or a socket is
    refused, never read (it could block or never end); the type and size are those of the
    open descriptor, so a file swapped after a check is not read either. follow=False refuses
    a symbolic link too (OSError ELOOP), for the caller to judge where it leads. Plain
    descriptor reads: a cold check reads 120,000 files, and a buffered file object around
    each cost three times the reading."""
    flags = _READ_FLAGS if follow else _READ_FLAGS | os.O_NOFOLLOW
    try:
        descriptor = os.open(path, flags)
    except OSError as error:
        if error.errno != errno.ENXIO:  # a socket cannot be opened
            raise
        raise _special(stat.S_IFSOCK) from None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            if stat.S_ISDIR(info.st_mode):
                raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
            raise _special(info.st_mode)
        refuse_large(info.st_size, max_bytes)
        data = _read_all(descriptor, info.st_size, max_bytes + 1)  # it may have grown since
    finally:
        os.close(descriptor)
    refuse_large(len(data), max_bytes)
    return data


def _read_all(descriptor: int, size: int, most: int) -> bytes:
    """Up to `most` bytes of an open file whose size was `size` (one read when it still is)."""
    parts = []
    left = most
    while left > 0:
        part = os.read(descriptor, min(size + 1, left))
        if not part:
            break
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


def special_file_reason(mode: int) -> str:
    """Why a file of this type (st_mode) is not read, in one sentence."""
    if stat.S_ISFIFO(mode):
        return _("this is a FIFO (named pipe), not a file; crm does not read it")
    if stat.S_ISSOCK(mode):
        return _("this is a socket, not a file; crm does not read it")
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return _("this is a device, not a file; crm does not read it")
    return _("this is not a regular file; crm does not read it")


def _special(mode: int) -> YamlReadError:
    return YamlReadError("special-file", special_file_reason(mode), 1, 1)


def refuse_large(size: int, max_bytes: int) -> None:
    """Refuse a file by its size, before reading it."""
    if size > max_bytes:
        raise YamlReadError(
            "file-too-large",
            _("file is {size:.1f} MB; the limit is {limit:.1f} MB").format(
                size=size / 1e6, limit=max_bytes / 1e6
            ),
            1,
            1,
        )


def decode_text(raw: bytes) -> str:
    """UTF-8 text (a BOM is dropped), or YamlReadError at the line of the first bad byte."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        raise YamlReadError(
            "not-utf8",
            _("file is not UTF-8 text (byte 0x{byte:02x}); save it as UTF-8").format(
                byte=raw[error.start]
            ),
            line,
            column,
        ) from None


def parse(text: str) -> YamlDocument:
    """Parse one YAML document into Python values, or raise YamlReadError."""
    data = parse_fast(text)
    if data is not NOT_FAST:
        return YamlDocument(data)
    return parse_slow(text)


def parse_slow(text: str) -> YamlDocument:
    """PyYAML's C loader: every document, with duplicate keys reported and errors placed."""
    if "&" in text and "*" in text and _ANCHOR.search(text):
        _refuse_alias_bombs(text)
    loader = _FastLoader(text)
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as error:
        raise _read_error(error, text) from None
    except yaml.YAMLError as error:
        raise YamlReadError(
            "invalid-yaml", _("invalid YAML: {error}").format(error=error)
        ) from None
    finally:
        loader.dispose()
    return YamlDocument(data, loader.duplicates)


def read_yaml(path: Path, max_bytes: int = MAX_RECORD_BYTES) -> YamlDocument:
    return parse(read_text(path, max_bytes))


def _read_error(error: yaml.MarkedYAMLError, text: str = "") -> YamlReadError:
    mark = error.problem_mark or error.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
    problem = error.problem or ""
    if "'\\t'" in problem or "tab character" in problem or _char_at(text, mark) == "\t":
        message = _("a tab character is used for indentation; YAML needs spaces")
    elif "quoted scalar" in (error.context or "") and "end of stream" in problem:
        start = error.context_mark
        if start:  # point at the opening quote, not at the end of the file
            line, column = start.line + 1, start.column + 1
        message = _("a quoted text opened on line {line} is never closed").format(line=line)
    else:
        message = _("invalid YAML: {problem}").format(problem=problem or error.context)
    return YamlReadError("invalid-yaml", message, line, column)


def _char_at(text: str, mark: yaml.Mark | None) -> str:
    """The character at a mark (the C parser's marks carry no buffer), or ''."""
    if mark is None:
        return ""
    lines = text.split("\n", mark.line + 1)
    return lines[mark.line][mark.column : mark.column + 1] if mark.line < len(lines) else ""


def _refuse_alias_bombs(text: str) -> None:
    """Refuse documents whose aliases expand to more than MAX_EXPANDED_NODES values."""
    anchored: dict[str | None, int] = {}  # an alias event's anchor is never None
    stack: list[list[Any]] = [[None, 0]]

    def add(count: int, event: Any) -> None:
        stack[-1][1] += count
        if stack[-1][1] > MAX_EXPANDED_NODES:
            mark = event.start_mark
            raise YamlReadError(
                "alias-bomb",
                _(
                    "aliases in this file expand to more than {limit} values; refusing to load it"
                ).format(limit=MAX_EXPANDED_NODES),
                mark.line + 1,
                mark.column + 1,
            )

    try:
        for event in yaml.parse(text, Loader=yaml.CSafeLoader):
            if isinstance(event, AliasEvent):
                if any(anchor == event.anchor for anchor, _count in stack):
                    _refuse_recursion(event)
                add(anchored.get(event.anchor, 1), event)
            elif isinstance(event, ScalarEvent):
                if event.anchor:
                    anchored[event.anchor] = 1
                add(1, event)
            elif isinstance(event, CollectionStartEvent):
                stack.append([event.anchor, 1])
            elif isinstance(event, CollectionEndEvent):
                anchor, count = stack.pop()
                if anchor:
                    anchored[anchor] = count
                add(count, event)
    except yaml.MarkedYAMLError as error:
        raise _read_error(error, text) from None


def _refuse_recursion(event: AliasEvent) -> None:
    """`tags: &a [*a]` is a value inside itself: no field can hold it, and writing the file
    back would turn it into null."""
    mark = event.start_mark
    raise YamlReadError(
        "recursive-alias",
        _("the alias “*{name}” is used inside the value it names, which makes it endless").format(
            name=event.anchor
        ),
        mark.line + 1 if mark else 0,
        mark.column + 1 if mark else 0,
    )


def key_positions(text: str) -> dict[KeyPath, tuple[int, int]]:
    """Map each key path (("history", 2, "at")) to the 1-based line and column of its key."""
    try:
        root = yaml.compose(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        return {}
    positions: dict[KeyPath, tuple[int, int]] = {}
    if root is not None:
        _walk_positions(root, (), positions, set())
    return positions


def _walk_positions(
    node: Node, path: KeyPath, out: dict[KeyPath, tuple[int, int]], seen: set[int]
) -> None:
    if id(node) in seen:  # an alias: its positions are those of its anchor
        return
    seen.add(id(node))
    if isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode):
                child = (*path, key_node.value)
                out.setdefault(
                    child, (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                )
                _walk_positions(value_node, child, out, seen)
    elif isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            child = (*path, index)
            out[child] = (item.start_mark.line + 1, item.start_mark.column + 1)
            _walk_positions(item, child, out, seen)


def locate(positions: dict[KeyPath, tuple[int, int]], key_path: KeyPath) -> tuple[int, int]:
    """The position of the deepest known prefix of key_path; (1, 1) for the file itself."""
    for end in range(len(key_path), 0, -1):
        found = positions.get(key_path[:end])
        if found:
            return found
    return (1, 1)


def jsonable(value: Any) -> Any:
    """YAML values as JSON would see them: dates become ISO text."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value
