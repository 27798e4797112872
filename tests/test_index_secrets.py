"""The index with secrets enabled (issue 14 over issue 16): it holds ciphertext only, and a
warm answer is what `--no-cache` gives, for the manager (who holds the key) and for the junior
(who does not), whichever of them built the index."""

from __future__ import annotations

import json
import re
import sqlite3
import struct
from collections import defaultdict
from pathlib import Path

import yaml

from .test_secrets import DEAL, as_, make_repo, people, textual_forms  # noqa: F401 (a fixture)

INDEX = Path(".crm") / "index.sqlite"
CLIENT = "clients/agence-pixel-nord"
ANSWERS = {
    "check": ("check", "--format", "json"),
    "show deal": ("show", DEAL),
    "show client": ("show", CLIENT),
    "list": ("list", "opportunities", "--format", "json"),
    "list clients": ("list", "clients", "--columns", "name,cost_total,won_total"),
    "export json": ("export", "opportunities", "--format", "json"),
    "export csv": ("export", "opportunities", "--format", "csv"),
}
# a rollup of the hidden cost: a sum that only a key holder may compute
COST_TOTAL = (
    "  cost_total:    {type: rollup, label: Cost total, through: opportunities, field: cost,\n"
    "                  agg: sum, format: currency}\n"
)


def sealed_repo(root: Path, people: dict, secrets: bool = True) -> Path:  # noqa: F811
    """The sample with distinctive costs, encrypted, and a client rollup that sums them."""
    make_repo(root, people, secrets=secrets)
    schema = root / "clients" / "_project.yaml"
    schema.write_text(schema.read_text(encoding="utf-8") + COST_TOTAL, encoding="utf-8")
    return root


def answers(person: dict[str, str], root: Path, *extra: str) -> dict[str, tuple[int, str]]:
    found = {}
    for name, args in ANSWERS.items():
        run = as_(person, *args, *extra, cwd=root)
        assert "Traceback" not in run.stderr, (name, run.stderr)
        found[name] = (run.returncode, run.stdout)
    return found


def indexed_files(root: Path) -> int:
    with sqlite3.connect(root / INDEX) as db:
        return db.execute("SELECT count(*) FROM files WHERE data IS NOT NULL").fetchone()[0]


def plain_costs(twin: Path) -> dict[str, tuple[int, int]]:
    """Each deal's (client, cost, amount), read from the twin workspace without secrets."""
    found = {}
    for path in (twin / "opportunities").glob("[!_]*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(data.get("cost"), int):
            found[path.stem] = (data["client"], data["cost"], data.get("amount") or 0)
    return found


def secret_numbers(twin: Path) -> set[int]:
    """Every hidden cost, every profit made from one, and every client's (and the
    workspace's) sum of costs."""
    numbers: set[int] = set()
    sums: defaultdict[str, int] = defaultdict(int)
    for client, cost, amount in plain_costs(twin).values():
        numbers |= {cost, amount - cost}
        sums[client] += cost
    return numbers | set(sums.values()) | {sum(sums.values())}


def spellings(number: int) -> list[bytes]:
    """A number as text (7000, 7 000, 7000.0…) and as a pickle or SQLite keeps it in binary
    (a 4- or 8-byte integer, a double)."""
    found = [form.encode() for form in textual_forms(number)]
    found += [struct.pack("<i", number), struct.pack(">q", number), struct.pack(">d", number)]
    return found


def leaked(root: Path, numbers: set[int]) -> list[int]:
    """The numbers that the index file, its journal or its write-ahead log spell out."""
    blobs = b"".join(
        path.read_bytes() for path in (root / INDEX).parent.glob(INDEX.name + "*") if path.is_file()
    )
    text = blobs.replace("\u202f".encode(), b" ").replace("\xa0".encode(), b" ")
    return sorted(
        n
        for n in numbers
        if any(re.search(rb"(?<![\d.,])" + re.escape(f) + rb"(?![\d])", text) for f in spellings(n))
    )


def test_warm_answers_are_those_of_no_cache_for_the_manager_and_the_junior(
    tmp_path,
    people,  # noqa: F811
) -> None:
    root = sealed_repo(tmp_path / "ws", people)
    manager, junior = people["manager"], people["junior"]
    expected = {
        "manager": answers(manager, root, "--no-cache"),
        "junior": answers(junior, root, "--no-cache"),
    }
    assert expected["manager"]["show client"] != expected["junior"]["show client"]  # cost_total
    # the manager builds the index, the junior reuses it, and the other way round
    for turn, name in enumerate(("manager", "junior", "junior", "manager")):
        assert answers(people[name], root) == expected[name], (turn, name)
    assert indexed_files(root) > 100


def test_the_index_holds_no_hidden_value_nor_any_sum_of_them(tmp_path, people) -> None:  # noqa: F811
    root = sealed_repo(tmp_path / "ws", people)
    twin = sealed_repo(tmp_path / "twin", people, secrets=False)
    numbers = secret_numbers(twin)
    assert len(numbers) > 100
    for person in (people["manager"], people["junior"], people["manager"]):
        answers(person, root)
        as_(person, "dashboard", "sales", "--out", tmp_path / "out", cwd=root)
    assert indexed_files(root) > 100
    with sqlite3.connect(root / INDEX) as db:
        data = b"".join(
            row[0] for row in db.execute("SELECT data FROM files WHERE data IS NOT NULL")
        )
    assert data.count(b"enc:v1:") == len(plain_costs(twin))  # the costs, as the files hold them
    assert leaked(root, numbers) == []
    # the same runs without secrets: an index that keeps computed values spells them out
    answers(people["manager"], twin)
    assert len(leaked(twin, numbers)) > 100


def test_a_hand_edit_of_an_encrypted_value_is_seen(tmp_path, people) -> None:  # noqa: F811
    root = sealed_repo(tmp_path / "ws", people)
    manager = people["manager"]
    answers(manager, root)
    deal = root / f"{DEAL}.yaml"
    other = root / "opportunities" / "agence-pixel-nord-refonte-du-site.yaml"
    theirs = re.search(r"^cost: .*$", other.read_text(encoding="utf-8"), flags=re.M)
    assert theirs is not None and "enc:v1:" in theirs.group(0)
    text = deal.read_text(encoding="utf-8")
    deal.write_text(re.sub(r"^cost: .*$", theirs.group(0), text, flags=re.M), encoding="utf-8")
    warm = answers(manager, root)
    assert warm == answers(manager, root, "--no-cache")
    assert cost_of(manager, root, DEAL) == cost_of(manager, root, other.stem) is not None
    # a damaged ciphertext is an error, warm as from the files
    line = theirs.group(0)
    edited = deal.read_text(encoding="utf-8").replace(line, line[:-6] + "AAAAAA")
    deal.write_text(edited, encoding="utf-8")
    warm = answers(manager, root)
    assert warm == answers(manager, root, "--no-cache")
    assert "hidden-value-damaged" in warm["check"][1]
    assert cost_of(manager, root, DEAL) is None
    assert indexed_files(root) > 100  # answered with the index, not without one


def cost_of(person: dict[str, str], root: Path, deal: str) -> object:
    """A deal's cost as `crm show --format json` gives it (warm)."""
    deal = deal if "/" in deal else f"opportunities/{deal}"
    shown = as_(person, "show", deal, "--format", "json", cwd=root)
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout)["fields"].get("cost")
