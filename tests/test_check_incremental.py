"""`crm check` after hand edits brings the last check up to date from the changed files alone:
its output, text and JSON, and its exit code are byte for byte those of `--no-cache`."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from crmcli.check.workspace import CHECKS, check_records
from crmcli.errors import Problem, Severity
from crmcli.index.pickles import dumps, loads
from tests.conftest import crm_in_process, write_files

INDEX = Path(".crm/index.sqlite")

CLIENTS = {
    f"clients/{name}.yaml": f"""
        name: {name.title()}
        list: Clients
        email: contact@{name}.example
        region: Paris
    """
    for name in ("globex", "initech", "umbrella")
}
DEALS = {
    f"opportunities/{client}-deal.yaml": f"""
        name: {client.title()} deal
        list: {"Won" if client != "initech" else "Proposal sent"}
        client: {client}
        amount: 1000
        cost: 400
    """
    for client in ("globex", "initech", "umbrella")
}


@pytest.fixture
def checked(workspace: Callable[..., Path]) -> Path:
    """A workspace whose index holds a whole check."""
    root = workspace({**CLIENTS, **DEALS})
    same_both_ways(root)
    return root


def run(root: Path, *options: str) -> tuple[int, str, str]:
    done = crm_in_process(
        "-C", root, "check", *options, env={"CRM_NOW": "2026-11-23T09:00:00", "CRM_USER": "alice"}
    )
    return done.returncode, done.stdout, done.stderr


def same_both_ways(root: Path) -> str:
    """The indexed JSON and text answers (brought up to date, then served) and --no-cache's."""
    answers = []
    for options in (("--format", "json"), ()):
        indexed = run(root, *options)
        assert run(root, *options) == indexed == run(root, *options, "--no-cache")
        answers.append(indexed[1])
    return answers[0]


def edit(root: Path, files: dict[str, str | None]) -> None:
    write_files(root, files)


def test_a_record_error_introduced_then_fixed(checked: Path) -> None:
    edit(checked, {"opportunities/globex-deal.yaml": "name: Globex deal\nlist: Nowhere\n"})
    assert "Nowhere" in same_both_ways(checked)
    edit(checked, {"opportunities/globex-deal.yaml": DEALS["opportunities/globex-deal.yaml"]})
    same_both_ways(checked)


def test_a_rollup_whose_source_changed(checked: Path) -> None:
    edit(
        checked,
        {
            "opportunities/umbrella-deal.yaml": """
                name: Umbrella deal
                list: Won
                client: umbrella
                amount: not money
            """
        },
    )
    same_both_ways(checked)
    rc, out, _err = run(checked, "--format", "json")
    assert rc == 1 and "umbrella-deal" in out


def test_a_dangling_reference_made_by_deleting_the_referenced_file(checked: Path) -> None:
    edit(checked, {"clients/initech.yaml": None})
    answer = same_both_ways(checked)
    assert "dangling-reference" in answer
    edit(checked, CLIENTS)
    assert "dangling-reference" not in same_both_ways(checked)


def test_a_new_record_a_renamed_one_and_an_unreadable_one(checked: Path) -> None:
    edit(checked, {"opportunities/globex-two.yaml": DEALS["opportunities/globex-deal.yaml"]})
    same_both_ways(checked)
    (checked / "clients/globex.yaml").rename(checked / "clients/globex-2.yaml")
    same_both_ways(checked)
    edit(checked, {"clients/umbrella.yaml": "name: [unclosed\n"})
    same_both_ways(checked)


def test_an_edit_that_restores_its_mtime(checked: Path) -> None:
    path = checked / "opportunities/initech-deal.yaml"
    before = path.stat()
    path.write_text(path.read_text(encoding="utf-8").replace("cost: 400", "cost: 900"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    same_both_ways(checked)


def test_the_last_check_is_brought_up_to_date_not_made_again(checked: Path) -> None:
    """A problem forged into the stored answer, at a record that did not change, shows
    through after an edit of another record: the unchanged records were not checked again."""
    marker = "forged issue of an unchanged record"
    forged = Problem("clients/acme.yaml", 1, 1, Severity.ERROR, "forged", marker)
    with sqlite3.connect(checked / INDEX) as db:
        (blob,) = db.execute("SELECT value FROM meta WHERE key = 'check_parts'").fetchone()
        parts = loads(blob)
        parts[1 + CHECKS.index(check_records)].append(forged)
        db.execute("UPDATE meta SET value = ? WHERE key = 'check_parts'", (dumps(parts),))
    edit(checked, {"opportunities/globex-deal.yaml": "name: Globex deal\nlist: Nowhere\n"})
    rc, out, _err = run(checked, "--format", "json")
    assert rc == 1 and marker in out and "Nowhere" in out
    assert marker in run(checked, "--format", "json")[1]  # kept: served as it was saved
    assert marker not in run(checked, "--format", "json", "--no-cache")[1]


def test_a_dependency_on_a_record_that_goes(checked: Path) -> None:
    edit(
        checked,
        {
            "opportunities/initech-deal.yaml": "name: Initech deal\nlist: Lead\n"
            "client: initech\ndepends_on: [globex-deal]\n"
        },
    )
    same_both_ways(checked)
    assert "initech-deal" not in same_both_ways(checked)
    edit(checked, {"opportunities/globex-deal.yaml": None})
    assert "initech-deal" in same_both_ways(checked)


def test_a_duplicate_key_and_a_shared_email(checked: Path) -> None:
    edit(
        checked,
        {
            "clients/umbrella.yaml": "name: Umbrella\nlist: Clients\nname: Again\n",
            "clients/initech.yaml": "name: Initech\nlist: Clients\nemail: contact@globex.example\n",
        },
    )
    assert "duplicate-key" in same_both_ways(checked)
    rc, out, _err = run(checked, "--duplicates", "--format", "json")
    assert "duplicate-email" in out
    assert (rc, out) == run(checked, "--duplicates", "--format", "json", "--no-cache")[:2]


def test_a_computed_value_that_fails_in_the_record_that_reads_it(checked: Path) -> None:
    """A deal's cost made text: its profit cannot be computed, reported at the schema line
    with the records it failed for, and fixed again."""
    deal = DEALS["opportunities/globex-deal.yaml"]
    edit(checked, {"opportunities/globex-deal.yaml": deal.replace("cost: 400", "cost: [1, 2]")})
    answer = same_both_ways(checked)
    assert "opportunities/_project.yaml" in answer
    edit(checked, {"opportunities/globex-deal.yaml": deal})
    assert "opportunities/_project.yaml" not in same_both_ways(checked)
