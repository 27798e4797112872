"""A parse worker types and shares a record's values in one walk, and checks its values in
one loop (core/fast_yaml.py, fields/record.py): the same values, and the same issues, as
typing, sharing and checking them apart.

A chunk's `seen` holds the values its records share; the texts that begin with a digit are
typed once each there, in a place of their own, so a quoted "2025-10-15" that PyYAML left
text in one file never answers for a plain 2025-10-15 in another, nor the other way round.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from crmcli.core.fast_yaml import NOT_FAST, parse_fast
from crmcli.core.shared_values import shared
from crmcli.core.yamlio import YamlReadError, parse_slow

from .conftest import SAMPLE, check
from .generated_workspace import generate
from .test_fast_yaml import BROKEN, EDGE_CASES, exact, yaml_texts

Workspace = Callable[..., Path]

QUOTED_AND_PLAIN = [
    "close_date: '2025-10-15'\nat: '2025-08-01T09:12:00+02:00'\n",  # PyYAML: texts
    "close_date: 2025-10-15\nat: 2025-08-01T09:12:00+02:00\n",  # the fast path: dates
    'note: "2025-10-15"\n2025-10-15: a date as a key\n',
    "close_date: 2025-10-15\nat: 2025-08-01T09:12:00+02:00\nnote: 12 rue de la Paix\n",
    "- 2025-10-15\n- [2025-08-01T09:12:00Z, 2025-02-30, 1e3]\n",
    "2025-10-15\n",
]


def as_a_worker_reads(text: str, seen: dict[Any, Any]) -> Any:
    """The data of one file as `parse_pool._parse_one` makes it, sharing `seen`."""
    data = parse_fast(text, seen)
    return shared(parse_slow(text).data, seen) if data is NOT_FAST else data


def readable(texts: list[str]) -> list[str]:
    """The texts PyYAML reads (the others give their error on both paths, elsewhere tested)."""
    found = []
    for text in texts:
        try:
            parse_slow(text)
        except YamlReadError:
            continue
        found.append(text)
    return found


@pytest.fixture(scope="module")
def texts(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    generated = generate(tmp_path_factory.mktemp("walk"), clients=60, deals=300)
    broken = [p.read_text(encoding="utf-8") for p in sorted(BROKEN.glob("*.yaml"))]
    return readable(
        [*QUOTED_AND_PLAIN, *yaml_texts(SAMPLE), *yaml_texts(generated), *EDGE_CASES, *broken]
    )


@pytest.mark.parametrize("order", ["forward", "backward"])
def test_one_seen_for_all_the_files_gives_each_its_own_values(texts: list[str], order: str) -> None:
    seen: dict[Any, Any] = {}
    for text in texts if order == "forward" else texts[::-1]:
        assert exact(as_a_worker_reads(text, seen)) == exact(parse_slow(text).data), text


def test_a_quoted_date_stays_text_whichever_file_came_first() -> None:
    quoted, plain = QUOTED_AND_PLAIN[:2]
    for first, second in ((quoted, plain), (plain, quoted)):
        seen: dict[Any, Any] = {}
        read = {text: as_a_worker_reads(text, seen) for text in (first, second)}
        assert read[quoted] == {"close_date": "2025-10-15", "at": "2025-08-01T09:12:00+02:00"}
        assert read[plain]["close_date"] == date(2025, 10, 15)
        assert read[plain]["at"] == datetime.fromisoformat("2025-08-01T09:12:00+02:00")


def test_equal_dates_of_two_files_are_one_value() -> None:
    seen: dict[Any, Any] = {}
    text = "close_date: 2025-10-15\nhistory:\n  - {list: Won, at: 2025-08-01T09:12:00+02:00}\n"
    first, second = (parse_fast(text, seen) for _ in range(2))
    assert first == second and first is not second
    assert first["close_date"] is second["close_date"]
    assert first["history"][0]["at"] is second["history"][0]["at"]
    other = parse_fast("at: 2025-09-01T10:00:00+02:00\n", seen)
    assert other["at"].tzinfo is first["history"][0]["at"].tzinfo  # one zone per chunk


def history_deal(entries: str) -> dict[str, str]:
    deal = "name: Acme — Website\nlist: Won\nclient: acme\nhistory:\n" + entries
    return {"opportunities/acme-website.yaml": deal}


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        ("  - {list: Lead, at: 2025-08-01T09:12:00+02:00, by: alice}\n", []),
        ("  - {list: Lead, at: 2025-08-01T09:12:00+02:00}\n", []),
        (
            "  - {list: Lead, at: 2025-08-01T09:12:00+02:00, by: alise}\n",
            [("unknown-member", "history entry names “alise”, who is not a member")],
        ),
        (
            "  - {list: Lead, at: 2025-08-01T09:12:00+02:00, by: alice, nte: x}\n",
            [("unknown-field", "history entry has an unknown key “nte” (did you mean “note”?)")],
        ),
        (
            "  - {list: Lead, at: 2025-08-02T09:12:00+02:00, by: alice}\n"
            "  - {list: Won, at: 2025-08-01T09:12:00+02:00, by: alice}\n",
            [("history-order", "history entries are not in chronological order")],
        ),
        (
            "  - {list: Lead, at: 2025-08-01T09:12:00+02:00, by: alice}\n"
            "  - {list: Won, at: 2025-08-01T08:12:00+01:00, by: alice}\n",  # the same instant
            [],
        ),
        (
            "  - {list: Lead, at: 2025-08-02T09:12:00+02:00, by: alice}\n"
            "  - {list: Won, at: soon}\n"
            "  - {list: Won, at: 2025-08-01T09:12:00+02:00, by: alice}\n",
            [
                ("bad-history", "history entry “at” must be a date and time, not “soon”"),
                ("history-order", "history entries are not in chronological order"),
            ],
        ),
    ],
)
def test_history_entries_are_checked_one_by_one(
    workspace: Workspace, entries: str, expected: list[tuple[str, str]]
) -> None:
    result = check(workspace(history_deal(entries)))
    found = [(p.code, p.message) for p in result.problems]
    assert len(found) == len(expected), found
    for (code, message), (want_code, want_message) in zip(found, expected, strict=True):
        assert code == want_code and want_message in message


def test_a_record_with_issues_is_named_in_each_of_them(workspace: Workspace) -> None:
    deal = "name: Acme — Website\nlist: Wonn\nclient: acme\namont: 3\namount: lots\n"
    result = check(workspace({"opportunities/acme-website.yaml": deal}))
    messages = sorted(p.message for p in result.problems)
    assert len(messages) == 3 and all(m.startswith("Deal “Acme — Website”: ") for m in messages)


def test_a_date_time_put_in_the_zone_held_keeps_its_fields_and_fold() -> None:
    paris = timezone(timedelta(hours=2))
    seen: dict[Any, Any] = {}
    shared(datetime(2025, 1, 1, tzinfo=paris), seen)  # the zone the chunk holds
    for moment in (
        datetime(2025, 10, 26, 2, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)), fold=1),
        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=2))),
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=2))),
    ):
        held = shared(moment, seen)
        assert held.tzinfo is paris and type(held) is datetime
        assert (held, held.fold, held.isoformat()) == (moment, moment.fold, moment.isoformat())
