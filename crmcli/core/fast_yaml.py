"""The fast path of YAML reading: yaml-rs (Rust), where it gives what the C loader gives.

yaml-rs parses record files several times faster than PyYAML's C loader and implements the
same YAML 1.2 core schema as `yamlio` (`on`, `NO` stay text; only `true`/`false` are booleans),
so most record files can take it. It does not take a file that might read differently:

- the text is scanned first, and any tag, anchor, alias, directive, merge key, `=`, escape,
  number spelling YAML 1.2 reads but we do not (`1_000`, `0b101`, `-0x1F`), character PyYAML
  refuses or treats as a line break, or quoted or block text starting with a digit (yaml-rs
  would let a quoted "2025-10-15" become a date) sends the file to PyYAML;
- yaml-rs runs with dates off, and plain scalars that PyYAML's own timestamp pattern matches
  become dates here, as PyYAML's lenient constructor makes them;
- anything yaml-rs refuses (a syntax error, a duplicate key) or reads into a shape PyYAML
  does not (a key that is a list, several documents, a key that looks like a date) goes to
  PyYAML too, which then gives the problem its message and its line.

`tests/test_fast_yaml.py` proves the two paths agree on the sample, generated workspaces, the
bad-input fixtures and random scalars.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import yaml_rs
from yaml.constructor import SafeConstructor
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from crmcli.core.shared_values import shared

NOT_FAST = object()  # parse_fast's answer for a file that PyYAML must read

# What sends a file to PyYAML. Each pattern begins with one literal character, which the
# regular expression engine finds as fast as a substring test; the context is checked around
# it (`(?<![^\s\[{,]&)`: the `&` begins a node).


def _at_node(char: str) -> str:
    """The pattern of `char` where it begins a node (after a space, `[`, `{`, `,` or at the
    start), so that it is an indicator and not part of a text."""
    return char + r"(?<![^\s\[{,]" + char + ")"


_BLOCKS = (r"\|", ">")  # the indicators of block text
_TAIL = r"[-+0-9]*[ ]*(?:#[^\n]*)?(?:\r?\n|\Z)"  # the rest of a block header line
_ANYWHERE = tuple(
    re.compile(pattern)
    for pattern in (
        r"<<",  # merge keys
        r"\\",  # escapes
        r"\t",  # tabs (PyYAML refuses more of them than YAML 1.2)
        _at_node("&") + r"\S",  # anchors
        _at_node(r"\*") + r"\S",  # aliases
        *(_at_node(char) for char in ("!", r"\?", "@", "`")),  # tags, keys
        _at_node("=") + r"(?:[\s\]},]|\Z)",  # `=`, the YAML 1.1 value key
        r"_(?<=[0-9]_)|_(?=[0-9])",  # `1_000`: a number to YAML 1.2 only
        r"0(?:[XObB]|(?<=[-+]0)[xo])",  # `0b101`, `0X1F`, `-0x1F`: the same
        r"\.(?=[iInN][nNaA][fFnN])",  # `.iNF`: the same
        *(quote + r"(?=[ \r\n]*[0-9]{4}-)" for quote in ("'", '"')),  # quoted text like a date
        *(block + r"(?=" + _TAIL + r"[ \r\n]*[0-9]{4}-)" for block in _BLOCKS),  # like a date
        *(block + r"(?=[-+]?[0-9])" for block in _BLOCKS),  # block text with its indentation
        *(_at_node(block) + r"(?!" + _TAIL + ")" for block in _BLOCKS),  # `|` that is no header
        *(flow + r"(?=[ ]*[|>:])" for flow in (r"\[", r"\{", ",")),  # flow read more freely
        r":(?:[\]},?\[{]|[ ]+:)",
        r"[0-9A-Fa-f]{1000}",  # a number too long to read: PyYAML's reader refuses it in words
    )
)
_LINE_START = re.compile(  # searched in "\n" + text: one search stops at each line once
    r"\n(?:"
    r"%"  # directives
    r"|---|\.\.\."  # several documents
    r"|[ ]*[|>]"  # block text at the top
    r"|[ -]*:(?=[ \r\n]|\Z)"  # a key left empty
    r")"
)
_BLOCK_HEADERS = tuple(  # each with its character: few records hold block text
    (block[-1], re.compile(block + r"(?=" + _TAIL + ")")) for block in _BLOCKS
)
_REFUSED_ASCII = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# characters PyYAML refuses or reads as line breaks (NEL, U+2028, U+2029), and the BOM
_REFUSED = re.compile(
    r"[^\x09\x0A\x0D\x20-\x7E\xA0-\u2027\u202A-\uD7FF\uE000-\uFEFE\uFF00-\uFFFD\U00010000-\U0010FFFF]"
)
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_TIMESTAMP = next(
    regexp
    for regexp_list in Resolver.yaml_implicit_resolvers.values()
    for tag, regexp in regexp_list
    if tag == _TIMESTAMP_TAG
)
_ISO_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:Z|[-+][0-9]{2}:[0-9]{2})?"
)
_SCALAR_KEYS = frozenset((int, float, bool, type(None)))
_CONSTRUCTOR = SafeConstructor()


class _NeedsPyYamlError(Exception):
    """Raised inside the walk: this file's values need PyYAML."""


def parse_fast(text: str, seen: dict[Any, Any] | None = None) -> Any:
    """The document's values as the C loader would give them, or NOT_FAST: yaml-rs's values,
    dates read as text, then a date (as PyYAML makes it) of each text that is one. Its texts,
    dates and time zones are those `seen` holds where equal (core/shared_values.py), kept
    there for the next documents: one walk types and shares the values."""
    if needs_pyyaml(text):
        return NOT_FAST
    try:
        data: Any = yaml_rs.loads(text, parse_datetime=False)
        return _typed(data, {} if seen is None else seen)
    except (_NeedsPyYamlError, yaml_rs.YAMLDecodeError, ValueError, OverflowError, RecursionError):
        return NOT_FAST


def _leading_character(pattern: re.Pattern[str]) -> str:
    """The literal character every match of the pattern begins with; "" when there is none."""
    source = pattern.pattern
    if source.startswith("\\"):
        return {"t": "\t", "n": "\n"}.get(source[1], source[1])
    return "" if source[0] in "[(" else source[0]


# Each pattern with the character its matches begin with: a pattern whose character is not in
# the text cannot match, and `in` answers that ten times faster than the search would.
_ANYWHERE_LED = tuple((_leading_character(pattern), pattern) for pattern in _ANYWHERE)


def needs_pyyaml(text: str) -> bool:
    """Whether the text holds anything yaml-rs might read otherwise than PyYAML."""
    if (_REFUSED_ASCII if text.isascii() else _REFUSED).search(text):
        return True
    for char, pattern in _ANYWHERE_LED:  # a loop: a generator's steps cost more than the tests
        if char in text and pattern.search(text):
            return True
    if _LINE_START.search("\n" + text):
        return True
    return any(
        _empty_block(text, match.start())
        for char, pattern in _BLOCK_HEADERS
        if char in text
        for match in pattern.finditer(text)
    )


def _empty_block(text: str, header: int) -> bool:
    """Whether the block text whose header is at `header` has no line more indented than its
    key (libyaml and yaml-rs disagree on what it holds), or ends the file without a line break."""
    if not text.endswith("\n"):
        return True
    line = text[text.rfind("\n", 0, header) + 1 : header]
    deeper = " " * (len(line) - len(line.lstrip(" ")) + 1)
    for next_line in text[text.find("\n", header) + 1 :].split("\n"):
        if next_line.strip():
            return not next_line.startswith(deeper)
    return True


def _typed(value: Any, seen: dict[Any, Any]) -> Any:
    """`value` with the texts PyYAML reads as timestamps made dates, and shared; raise on keys
    PyYAML reads otherwise (a date) or refuses (a list). Leaves are handled in the loops (a
    call per value would cost a third more) and exact types are tested: this runs on every
    value of every record."""
    dates = seen.setdefault(_DIGIT_LED, {})
    kind = type(value)
    if kind is dict:
        return _typed_mapping(value, seen, dates)
    if kind is list:
        return _typed_sequence(value, seen, dates)
    if kind is str:
        return _digit_led(value, seen, dates) if "0" <= value < ":" else shared(value, seen)
    return value


def _typed_mapping(value: dict[Any, Any], seen: dict[Any, Any], dates: Dates) -> dict[Any, Any]:
    keep = seen.setdefault
    keys = []
    for key in value:
        kind = type(key)
        if kind is str:
            if "0" <= key < ":" and _TIMESTAMP.match(key):  # it begins with a digit
                raise _NeedsPyYamlError
            key = keep(key, key)
        elif kind not in _SCALAR_KEYS:
            raise _NeedsPyYamlError
        keys.append(key)
    values = _typed_sequence(value.values(), seen, dates)
    return dict(zip(keys, values))  # noqa: B905 (as many; a keyword costs 4 % of the walk)


def _typed_sequence(value: Iterable[Any], seen: dict[Any, Any], dates: Dates) -> list[Any]:
    keep = seen.setdefault
    found = []
    for item in value:
        kind = type(item)
        if kind is str:
            if "0" <= item < ":":  # it begins with a digit (and a date is never false)
                item = dates.get(item) or _digit_led(item, seen, dates)
            else:
                item = keep(item, item)
        elif kind is dict:
            item = _typed_mapping(item, seen, dates)
        elif kind is list:
            item = _typed_sequence(item, seen, dates)
        found.append(item)
    return found


# Where `seen` keeps what each plain text that begins with a digit reads as (`Dates`)
_DIGIT_LED = object()
Dates = dict[str, Any]


def _digit_led(text: str, seen: dict[Any, Any], dates: Dates) -> Any:
    """What PyYAML makes of a plain text that begins with a digit (a date, a date-time, or
    the text), kept in `dates`: the same text gives the same value, and a chunk's records hold
    many equal dates, so the walk looks there first."""
    value = shared(_timestamp(text), seen)
    dates[text] = value
    return value


def _timestamp(text: str) -> Any:
    """A date or datetime as PyYAML makes it of a text its timestamp pattern matches; any
    other text, or one that is no real date, stays text."""
    try:
        if _ISO_DATETIME.fullmatch(text):  # most of them (PyYAML's pattern matches them too)
            return datetime.fromisoformat(text)
        if not _TIMESTAMP.match(text):
            return text
        if len(text) == 10:
            return date.fromisoformat(text)
        return _CONSTRUCTOR.construct_yaml_timestamp(ScalarNode(_TIMESTAMP_TAG, text))
    except ValueError:
        return text
