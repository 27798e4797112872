"""The yaml-rs fast path reads every file exactly as PyYAML's C loader does, or leaves it to it.

A differential test: `parse` (fast where it may be) against `parse_slow` (PyYAML only) over
the sample workspace, generated workspaces, the bad-input fixtures, hand-picked edge cases and
random scalars: same values (and types: dates, datetimes with their offsets, ints, floats,
booleans, nulls, texts, key order), same duplicate keys, same errors at the same place.
"""

from __future__ import annotations

import math
import random
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from crmcli.core.fast_yaml import NOT_FAST, parse_fast
from crmcli.core.yamlio import YamlReadError, parse, parse_slow

from .conftest import REPO, SAMPLE
from .generated_workspace import generate

BROKEN = REPO / "tests" / "fixtures" / "broken"


def exact(value: Any) -> Any:
    """A value with its types made visible: `1 == 1.0 == True`, but not here."""
    if isinstance(value, dict):
        return ("map", [(exact(k), exact(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("seq", [exact(v) for v in value])
    if isinstance(value, datetime):
        return ("datetime", value.isoformat(), repr(value.tzinfo))
    if isinstance(value, float) and math.isnan(value):
        return ("float", "nan")
    return (type(value).__name__, repr(value))


def outcome(read: Any, text: str) -> Any:
    try:
        document = read(text)
    except YamlReadError as error:
        return ("error", error.code, error.message, error.line, error.column)
    return (exact(document.data), document.duplicates)


def assert_same(text: str) -> None:
    assert outcome(parse, text) == outcome(parse_slow, text), text


def yaml_texts(root: Path) -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(root.rglob("*.yaml"))]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace from the benchmark generator: the records `crm check` meets at scale."""
    return generate(tmp_path_factory.mktemp("generated"), clients=300, deals=1500)


def test_the_sample_reads_the_same_and_mostly_fast() -> None:
    texts = yaml_texts(SAMPLE)
    for text in texts:
        assert_same(text)
    fast = [t for t in texts if parse_fast(t) is not NOT_FAST]
    assert len(fast) > 0.6 * len(texts)


def test_generated_records_read_the_same_and_mostly_fast(generated: Path) -> None:
    texts = yaml_texts(generated)
    assert len(texts) > 2000
    for text in texts:
        assert_same(text)
    fast = [t for t in texts if parse_fast(t) is not NOT_FAST]
    assert len(fast) > 0.9 * len(texts)


@pytest.mark.parametrize("path", sorted(BROKEN.glob("*.yaml")), ids=lambda p: p.name)
def test_bad_input_fixtures_give_the_same_problems(path: Path) -> None:
    assert_same(path.read_text(encoding="utf-8"))


EDGE_CASES = [
    # YAML 1.2 scalars, as ours
    "a: on\nb: NO\nc: yes\nd: True\ne: FALSE\n",
    "a: 017\nb: 0o17\nc: 0x1F\nd: 1e3\ne: .5\nf: -.inf\ng: .NaN\nh: ~\ni: null\nj:\n",
    "a: 12345678901234567890123\nb: -0\nc: +1\nd: 1.\ne: 12:30\n",
    # spellings that yaml-rs reads as numbers and we keep as text
    "a: 1_000\nb: 0b101\nc: -0x1F\nd: 0X1F\ne: [0O2]\nf: .iNF\n",
    # dates: plain ones are dates, quoted or block ones stay text, wrong ones stay text
    "a: 2025-10-15\nb: '2025-10-15'\nc: \"2025-10-15\"\nd: 2025-02-30\ne: 2025-8-1\n",
    "a: 2025-08-01T09:12:00+02:00\nb: 2025-08-01 09:12\nc: 2025-08-01 9:12:00\n",
    "a: 2025-08-01t09:12:00Z\nb: 2025-08-01T09:12:00.1234567-05\nc: 2001-12-14 21:59:43.10 -5\n",
    "a: |-\n  2025-10-15\nb: >-\n  2025-10-15\n  10:00:00\n",
    "2025-10-15: a date as a key\n",
    "history:\n  - {list: Won, at: 2025-08-01T09:12:00+02:00, by: alice}\n",
    # shapes
    "",
    "# only a comment\n",
    "- a\n- b\n",
    "---\na: 1\n",
    "---\na: 1\n---\nb: 2\n",
    "a: 1\n...\n",
    "[a]: 1\n",
    "? [a]\n: 1\n",
    "1: int key\ntrue: bool key\nnull: null key\n",
    "a: =\n",
    "a: &x 1\nb: *x\n",
    "<<: {a: 1}\nb: 2\n",
    "a: !!str 1\n",
    "%YAML 1.1\n---\na: 1\n",
    # texts
    "a: |\n  one\n  two\n",
    "a: |\n  no final line break",
    "a: |\nb: 1\n",
    "a: >\n  folded\n  text\n\n",
    "a: 'it''s'\nb: \"\\u00e9\"\nc: Acme — Refonte\nd: \"Refonte : phase 2\"\n",
    "a: Le Comptoir #12\nb: x#y\n",
    "a: x : y\n",
    "a: [http://x.example/a]\nb: {u: http://x.example:80/a}\n",
    "a: [b:]\n",
    "a: {b: :c}\n",
    ": 1\n",
    # characters
    "a: \t1\n",
    "a:\tb\n",
    "a: x\x01y\n",
    "a: line\u2028break\n",
    "a: nel\x85here\n",
    "a: bom\ufeffhere\n",
    "a: 1\r\nb: two\r\n",
    # duplicates and errors
    "a: 1\na: 2\n",
    "a: 'never closed\n",
    "a:\n\tb: 1\n",
    "a: [1, 2\n",
]


@pytest.mark.parametrize("text", EDGE_CASES)
def test_edge_cases_read_the_same(text: str) -> None:
    assert_same(text)


def test_plain_dates_are_dates_on_the_fast_path() -> None:
    text = "close_date: 2025-10-15\nat: 2025-08-01T09:12:00+02:00\nname: On\nok: on\n"
    data = parse_fast(text)
    assert data == {
        "close_date": date(2025, 10, 15),
        "at": datetime.fromisoformat("2025-08-01T09:12:00+02:00"),
        "name": "On",
        "ok": "on",
    }


SCALAR_CHARS = "0123456789._-+eExXoObB:TtZz infINFnaNAN~truefalsTRUEFALSnullNul#'\"|>[]{},?!&*@`%=<"
SHAPES = ["a: {}", "- {}", "a: [{}]", "{}: 1", "a:\n  b: {}", "a: {{b: {}}}", "a: [x, {}]"]
PIECES = [
    *("2025-10-15", "2025-08-01T09:12:00+02:00", "09:12", " ", ":", "-", "0x", "1", "12", "."),
    *("e", "+", "T", "Z", "\n", "  ", "- ", "a: ", "'", '"', "#", "[", "]", "{", "}", ",", "?"),
    *("true", "null", "~", ".inf", "---", "...", "|", ">", "\r\n", "é", "\u00a0", "x", "yes"),
]


def test_random_scalars_and_fragments_read_the_same() -> None:
    rng = random.Random(14)
    for _ in range(4000):
        scalar = "".join(rng.choice(SCALAR_CHARS) for _ in range(rng.randint(1, 12)))
        assert_same(rng.choice(SHAPES).format(scalar))
        assert_same("".join(rng.choice(PIECES) for _ in range(rng.randint(1, 15))))
