"""The index's columns: a served record's data is the dict its file gives, however it is read,
and the answers of commands reading every record stay those of --no-cache while files change
(read from their rows) and after the columns are built again."""

from __future__ import annotations

import collections
import copy
import json
import pickle
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from crmcli.core.model import Record
from crmcli.index.columns import ColumnSet, column_blobs
from crmcli.index.store import IndexStore
from tests.conftest import crm_in_process
from tests.generated_workspace import generate

PARIS = timezone(timedelta(hours=2))
DATA: list[dict[str, Any]] = [
    {
        "name": "Ёлка",
        "tags": ["a", "b"],
        "amount": 1200,
        "created": datetime(2026, 5, 1, tzinfo=PARIS),
    },
    {"amount": None, "name": "Café", "history": [{"list": "Won", "at": date(2026, 6, 2)}]},
    {"name": "Zéro", "rate": Decimal("0.5")},
    {},
]

READINGS: dict[str, Any] = {
    "dict()": dict,
    "{**}": lambda d: {**d},
    "f(**)": lambda d: (lambda **kw: kw)(**d),
    "update": lambda d: (lambda into: (into.update(d), into)[1])({}),
    "json": lambda d: json.dumps(d, default=str),
    "pickle": lambda d: pickle.loads(pickle.dumps(d)),
    "deepcopy": copy.deepcopy,
    "copy": lambda d: d.copy(),
    "items": lambda d: list(d.items()),
    "values": lambda d: list(d.values()),
    "keys": lambda d: list(d),
    "len": len,
    "repr": repr,
    "equal": lambda d: d == DATA[0],
    "ordered": lambda d: list(collections.OrderedDict(d).items()),
    "get": lambda d: (d.get("amount"), d.get("missing"), d.get("missing", 7)),
    "in": lambda d: ("amount" in d, "missing" in d),
    "[]": lambda d: [d[key] for key in d],
    "or": lambda d: d | {"extra": 1},
    "pop": lambda d: (d.pop("name", None), dict(d)),
    "setdefault": lambda d: (d.setdefault("name", "?"), d.setdefault("new", 3), dict(d)),
}


def served() -> list[dict[str, Any]]:
    records = [Record("p", f"r{i}", f"p/r{i}.yaml", copy.deepcopy(d)) for i, d in enumerate(DATA)]
    columns = ColumnSet(dict(column_blobs(records)).get)
    return [columns.data(position) for position in range(len(DATA))]


@pytest.mark.parametrize("reading", READINGS, ids=str)
def test_served_data_reads_as_the_file_dict(reading: str) -> None:
    read = READINGS[reading]
    for plain, data in zip(copy.deepcopy(DATA), served(), strict=True):
        assert isinstance(data, dict)
        assert read(data) == read(plain)


def test_a_missing_key_is_missing() -> None:
    data = served()[2]
    with pytest.raises(KeyError):
        data["amount"]
    assert served()[1]["amount"] is None  # a key with an empty value is not a missing one


ENV = {"CRM_USER": "alice", "CRM_NOW": "2026-11-23T10:00:00"}
READERS = (
    ("list", "opportunities", "--where", "amount > 20000", "--columns", "name,amount,profit"),
    ("export", "opportunities", "--format", "json"),
    ("export", "clients", "--format", "csv"),
)


def answers(root: Path, *extra: str) -> list[tuple[int, str]]:
    runs = [crm_in_process("-C", root, *args, *extra, env=ENV) for args in READERS]
    return [(run.returncode, run.stdout) for run in runs]


def overlay(root: Path) -> frozenset[str]:
    store = IndexStore.open(root)
    assert store is not None
    try:
        return store.meta("columns")["opportunities"]
    finally:
        store.close()


def edit(root: Path, names: list[str], text: str) -> None:
    for name in names:
        path = root / "opportunities" / name
        path.write_text(path.read_text().replace("amount: ", f"# {text}\namount: 9", 1))


def test_answers_stay_those_of_the_files_as_records_change(tmp_path: Path) -> None:
    root = generate(tmp_path / "ws", clients=40, deals=400)
    assert crm_in_process("-C", root, "check", env=ENV).returncode == 0  # builds the index
    assert overlay(root) == frozenset()
    assert answers(root) == answers(root, "--no-cache")
    names = sorted(p.name for p in (root / "opportunities").glob("[!_]*.yaml"))

    edit(root, names[:3], "a few")
    (root / "opportunities" / names[3]).unlink()
    expected = answers(root, "--no-cache")
    crm_in_process("-C", root, "check", env=ENV)  # a dangling reference now: exit 1, saved
    assert overlay(root) == {f"opportunities/{n}" for n in names[:4]}  # read from their rows
    assert answers(root) == expected

    edit(root, names[10:70], "many")  # more than the columns tolerate: built again
    expected = answers(root, "--no-cache")
    crm_in_process("-C", root, "check", env=ENV)
    assert overlay(root) == frozenset()
    assert answers(root) == expected
