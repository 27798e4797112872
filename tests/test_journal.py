"""editing.journal: several files written as one, rolled forward or back after a kill, never
over a file changed by someone else (compare-and-swap), and settled by the next command."""

from __future__ import annotations

import fcntl
import json
from pathlib import Path

import pytest

from crmcli.editing import journal, lock
from crmcli.editing.atomic import PendingWrite, sha256
from crmcli.editing.journal import Transaction, write_all
from crmcli.editing.recovery import has_journal, recover
from crmcli.editing.renames import swap
from crmcli.errors import CrmError

from .conftest import crm_in_process


def _files(root: Path, *names: str) -> list[Path]:
    paths = []
    for name in names:
        path = root / "p" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"name: {name}\n", encoding="utf-8")
        paths.append(path)
    return paths


def _stage(root: Path, paths: list[Path]) -> Transaction:
    """A transaction with a new content for each path and one new file, staged, not applied."""
    transaction = Transaction(root)
    for path in paths:
        transaction.write(path, b"name: new\n", sha256(path.read_bytes()))
    transaction.write(root / "p" / "created.yaml", b"name: created\n", None)
    return transaction


def _commit_marker_only(transaction: Transaction) -> None:
    """What commit() leaves when killed before its first rename: staged and marked committed."""
    assert transaction._intent is not None
    transaction._intent.close()
    (transaction.folder / journal.COMMITTED).touch()


def _killed_after_the_first_rename(root: Path) -> Transaction:
    transaction = _stage(root, _files(root, "a.yaml", "b.yaml"))
    _commit_marker_only(transaction)
    first = transaction.steps[0]
    swap(root / first.temp, root / first.path)
    return transaction


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".crm" not in p.parts
    }


def test_a_transaction_writes_every_file_and_leaves_no_journal(tmp_path):
    a, b = _files(tmp_path, "a.yaml", "b.yaml")
    old = sha256(b.read_bytes())
    write_all(
        tmp_path,
        [PendingWrite(a, "name: A2\n", sha256(a.read_bytes()))],
        removals=[(b, old)],
    )
    assert _tree(tmp_path) == {"p/a.yaml": b"name: A2\n"}
    assert sorted(p.name for p in (tmp_path / ".crm").iterdir()) == [".gitignore"]
    assert (tmp_path / ".crm" / ".gitignore").read_text() == "*\n"


def test_a_journal_killed_before_its_commit_is_rolled_back(tmp_path):
    paths = _files(tmp_path, "a.yaml", "b.yaml")
    before = _tree(tmp_path)
    _stage(tmp_path, paths)  # killed while staging: no commit marker

    recovery = recover(tmp_path)

    assert recovery is not None and recovery.way == "back"
    assert _tree(tmp_path) == before
    assert not has_journal(tmp_path)


def test_a_committed_journal_killed_midway_is_rolled_forward(tmp_path):
    paths = _files(tmp_path, "a.yaml", "b.yaml", "c.yaml")
    transaction = _stage(tmp_path, paths)
    _commit_marker_only(transaction)
    first = transaction.steps[0]
    swap(tmp_path / first.temp, tmp_path / first.path)  # the first rename happened

    recovery = recover(tmp_path)

    assert recovery is not None and (recovery.way, recovery.files) == ("forward", 4)
    assert _tree(tmp_path) == {
        "p/a.yaml": b"name: new\n",
        "p/b.yaml": b"name: new\n",
        "p/c.yaml": b"name: new\n",
        "p/created.yaml": b"name: created\n",
    }
    assert not has_journal(tmp_path)


def test_a_committed_journal_whose_temp_file_is_lost_is_rolled_back_from_its_backups(tmp_path):
    paths = _files(tmp_path, "a.yaml", "b.yaml")
    before = _tree(tmp_path)
    transaction = _stage(tmp_path, paths)
    _commit_marker_only(transaction)
    first, second, created = transaction.steps
    swap(tmp_path / first.temp, tmp_path / first.path)
    (tmp_path / created.temp).rename(tmp_path / created.path)
    (tmp_path / second.temp).unlink()  # cannot go forward

    recovery = recover(tmp_path)

    assert recovery is not None and recovery.way == "back"
    assert _tree(tmp_path) == before
    assert not has_journal(tmp_path)


def test_a_hand_edit_after_the_kill_is_kept_and_the_rest_rolled_back(tmp_path):
    _killed_after_the_first_rename(tmp_path)
    (tmp_path / "p" / "b.yaml").write_text("name: edited by hand\n", encoding="utf-8")

    recovery = recover(tmp_path)

    assert recovery is not None and recovery.way == "back"
    assert _tree(tmp_path) == {"p/a.yaml": b"name: a.yaml\n", "p/b.yaml": b"name: edited by hand\n"}


def test_a_write_neither_way_can_settle_is_kept_aside_and_named(tmp_path):
    first = _killed_after_the_first_rename(tmp_path).steps[0]
    (tmp_path / first.temp).unlink()  # its backup is lost: it cannot be undone
    (tmp_path / "p" / "b.yaml").write_text("name: edited by hand\n", encoding="utf-8")

    with pytest.raises(CrmError, match=r"neither completed nor undone.*p/b\.yaml"):
        recover(tmp_path)

    assert (tmp_path / "p" / "b.yaml").read_text() == "name: edited by hand\n"
    assert not has_journal(tmp_path)
    (aside,) = (tmp_path / ".crm").glob("journal-failed-*")
    assert (aside / "intent.jsonl").exists()


def test_a_file_edited_between_the_check_and_the_rename_is_not_replaced(tmp_path):
    """The compare-and-swap: the sha check passed at staging, the file changed before the
    swap; the swap shows it, swaps back, and undoes the files already written."""
    a, b = _files(tmp_path, "a.yaml", "b.yaml")
    transaction = Transaction(tmp_path)
    transaction.write(a, b"name: A2\n", sha256(a.read_bytes()))
    transaction.write(b, b"name: B2\n", sha256(b.read_bytes()))
    b.write_text("name: B edited meanwhile\n", encoding="utf-8")

    with pytest.raises(CrmError, match=r"p/b\.yaml was changed by someone else"):
        transaction.commit()

    assert _tree(tmp_path) == {
        "p/a.yaml": b"name: a.yaml\n",
        "p/b.yaml": b"name: B edited meanwhile\n",
    }
    assert not has_journal(tmp_path)


def test_a_file_that_appears_before_the_rename_stops_the_whole_write(tmp_path):
    (a,) = _files(tmp_path, "a.yaml")
    transaction = Transaction(tmp_path)
    transaction.write(a, b"name: A2\n", sha256(a.read_bytes()))
    transaction.write(tmp_path / "p" / "new.yaml", b"name: ours\n", None)
    (tmp_path / "p" / "new.yaml").write_text("name: from git pull\n", encoding="utf-8")

    with pytest.raises(CrmError, match=r"p/new\.yaml appeared while crm was working"):
        transaction.commit()

    assert _tree(tmp_path) == {
        "p/a.yaml": b"name: a.yaml\n",
        "p/new.yaml": b"name: from git pull\n",
    }


def test_the_intent_lists_each_file_with_its_hashes_and_temp_file(tmp_path):
    (a,) = _files(tmp_path, "a.yaml")
    transaction = Transaction(tmp_path)
    transaction.write(a, b"name: A2\n", sha256(a.read_bytes()))
    transaction._intent.flush()
    (line,) = (tmp_path / ".crm" / "journal" / "intent.jsonl").read_text().splitlines()
    assert json.loads(line) == {
        "path": "p/a.yaml",
        "old": sha256(b"name: a.yaml\n"),
        "new": sha256(b"name: A2\n"),
        "temp": ".crm/journal/0.tmp",
    }
    assert (tmp_path / ".crm" / "journal" / "0.tmp").read_bytes() == b"name: A2\n"
    transaction.discard()
    assert not has_journal(tmp_path)


def test_any_command_settles_an_interrupted_write_first(workspace):
    root = workspace()
    deal = root / "opportunities" / "acme-website.yaml"
    new = deal.read_text(encoding="utf-8").replace("amount: 12000", "amount: 15000")
    transaction = Transaction(root)
    transaction.write(deal, new.encode(), sha256(deal.read_bytes()))
    _commit_marker_only(transaction)

    result = crm_in_process("-C", root, "show", "opportunities/acme-website", "--as", "alice")

    assert result.returncode == 0, result.stderr
    assert "An interrupted write of 1 file was completed." in result.stderr
    assert "15" in result.stdout and "000" in result.stdout
    assert not has_journal(root)


def test_a_command_that_cannot_settle_a_journal_reads_nothing_and_says_so(workspace, monkeypatch):
    root = workspace()
    deal = root / "opportunities" / "acme-website.yaml"
    transaction = Transaction(root)
    transaction.write(deal, b"name: half\n", sha256(deal.read_bytes()))
    _commit_marker_only(transaction)
    monkeypatch.setattr(lock, "READER_WAIT_SECONDS", 0.2)

    with (root / ".crm" / "lock").open("a") as writer:  # the writer is still at work
        fcntl.flock(writer, fcntl.LOCK_EX)
        result = crm_in_process("-C", root, "list", "opportunities", "--as", "alice")
        fcntl.flock(writer, fcntl.LOCK_UN)

    assert result.returncode == 1
    assert "is writing several files and has not finished" in result.stderr
    assert result.stdout == ""
    assert has_journal(root)
