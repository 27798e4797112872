"""`crm diff` (with `--totals` and between revisions) and `crm log` read through the index in
`.crm/`: the working tree's unchanged files from its rows, past versions by blob id. Their
answers equal `--no-cache` byte for byte, after commits, hand edits, a checkout of another
revision and with a damaged index file."""

from __future__ import annotations

import pickle
import sqlite3
from pathlib import Path

import pytest

from crmcli.index.pickles import dumps
from crmcli.index.store import IndexStore
from tests.conftest import crm_in_process
from tests.repos import DEAL, Repo

INDEX = Path(".crm") / "index.sqlite"
ENV = {"CRM_USER": "alice", "CRM_NOW": "2026-11-23T10:00:00"}
OTHER_DEAL = "opportunities/acme-seo.yaml"
COMMANDS = (
    ("diff",),
    ("diff", "--totals"),
    ("diff", "--totals", "HEAD~1"),
    ("diff", "HEAD~1..HEAD"),
    ("diff", "--totals", "HEAD~1..HEAD", "--format", "json"),
    ("diff", "--staged", "--totals"),
    ("log", "opportunities/acme-website"),
    ("log", "opportunities/acme-seo", "--format", "json"),
)


@pytest.fixture
def repo(workspace) -> Repo:
    """The base workspace and a second deal, then a commit that moves and re-prices both."""
    root = workspace(
        {
            OTHER_DEAL: """
                name: Acme — SEO
                list: Lead
                tags: [seo]
                client: acme
                amount: 3000
                cost: 1000
            """
        }
    )
    repository = Repo(root, root)
    repository.commit("workspace")
    repository.replace(DEAL, "amount: 12000", "amount: 15000")
    repository.replace(OTHER_DEAL, "list: Lead", "list: Proposal sent")
    repository.commit("deals updated", author="bruno")
    return repository


def crm(root: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    run = crm_in_process("-C", root, *args, env={**ENV, **(env or {})})
    return run.returncode, run.stdout, run.stderr


def assert_same_as_no_cache(root: Path, env: dict[str, str] | None = None) -> None:
    """Every command answers as --no-cache does, when the index is built and when served."""
    for command in COMMANDS:
        expected = crm(root, *command, "--no-cache", env=env)
        assert expected[0] == 0, expected
        for _built_then_served in range(2):
            assert crm(root, *command, env=env) == expected, command


def blob_count(root: Path) -> int:
    with sqlite3.connect(root / INDEX) as db:
        return db.execute("SELECT COUNT(*) FROM blobs").fetchone()[0]


def test_after_commits_hand_edits_and_a_checkout(repo: Repo) -> None:
    root = repo.root
    assert_same_as_no_cache(root)
    assert blob_count(root) > 0  # past versions were kept by blob id
    repo.replace(DEAL, "list: Won", "list: Lost\nlost_reason: Price")  # a hand edit
    repo.write("opportunities/globex.yaml", "name: Globex\nlist: Lead\nclient: acme\namount: 500\n")
    assert_same_as_no_cache(root)
    repo.git("add", DEAL)  # staged, and the new file not
    assert_same_as_no_cache(root)
    repo.git("stash", "-u")
    repo.git("checkout", "-q", "HEAD~1")  # the working tree as the first commit had it
    repo.replace(DEAL, "amount: 12000", "amount: 13000")
    repo.commit("on a detached head")
    assert_same_as_no_cache(root)


def test_a_damaged_index_is_rebuilt(repo: Repo) -> None:
    root = repo.root
    assert_same_as_no_cache(root)
    (root / INDEX).write_bytes(b"not a database" * 100)
    expected = {command: crm(root, *command, "--no-cache") for command in COMMANDS}
    for command in COMMANDS:
        assert crm(root, *command) == expected[command], command
    assert blob_count(root) > 0  # a new index, with the blobs read since


def test_damaged_rows_make_the_files_be_read_again(repo: Repo) -> None:
    root = repo.root
    assert_same_as_no_cache(root)
    with sqlite3.connect(root / INDEX) as db:
        db.execute("UPDATE blobs SET data = ?", (b"\x80\x05garbage",))
        db.execute("UPDATE files SET data = ?", (pickle.dumps(Path("elsewhere")),))
    expected = crm(root, "diff", "--totals", "HEAD~1", "--no-cache")
    assert crm(root, "diff", "--totals", "HEAD~1") == expected
    assert_same_as_no_cache(root)


def test_past_versions_come_from_the_blobs_kept(repo: Repo) -> None:
    """Proof that a revision is read from the index: a kept blob changed behind crm's back
    changes the answer (a blob id names its content forever, so crm trusts it)."""
    root = repo.root
    crm(root, "diff", "--totals", "HEAD~1")
    old_deal = repo.git("rev-parse", f"HEAD~1:{DEAL}").strip()
    with sqlite3.connect(root / INDEX) as db:
        (data,) = db.execute("SELECT data FROM blobs WHERE id = ?", (old_deal,)).fetchone()
        forged = {**pickle.loads(data), "amount": 99999}
        db.execute("UPDATE blobs SET data = ? WHERE id = ?", (dumps(forged), old_deal))
    code, out, _err = crm(root, "diff", "HEAD~1")
    assert code == 0 and "99\u202f999" in out
    assert "99\u202f999" not in crm(root, "diff", "HEAD~1", "--no-cache")[1]


def test_the_working_tree_comes_from_the_rows_of_the_index(repo: Repo) -> None:
    root = repo.root
    crm(root, "list", "opportunities")  # builds the index
    repo.replace(DEAL, "cost: 7000", "cost: 8000")  # a hand edit: read from the file
    with sqlite3.connect(root / INDEX) as db:
        (data,) = db.execute("SELECT data FROM files WHERE path = ?", (OTHER_DEAL,)).fetchone()
        forged = {**pickle.loads(data), "amount": 77777}
        db.execute("UPDATE files SET data = ? WHERE path = ?", (dumps(forged), OTHER_DEAL))
    assert "77\u202f777" in crm(root, "diff", "--totals", "HEAD")[1]
    assert "77\u202f777" not in crm(root, "diff", "--totals", "HEAD", "--no-cache")[1]


def test_a_broken_blob_at_another_path_is_named_there(repo: Repo) -> None:
    """The same broken content committed under two names: each file's problem is its own."""
    broken = "name: Broken\nlist: [unclosed\n"
    repo.write("opportunities/broken.yaml", broken)
    repo.commit("a broken deal")
    repo.write("opportunities/broken-too.yaml", broken)
    repo.commit("the same, again")
    repo.write("opportunities/broken-again.yaml", broken)
    assert_same_as_no_cache(repo.root)
    out = crm(repo.root, "diff", "--totals", "HEAD~2")[1]
    assert "broken-too" in out and "broken-again" in out


def test_messages_kept_in_one_language_are_not_served_in_another(repo: Repo) -> None:
    repo.write("opportunities/broken.yaml", "name: [unclosed\n")
    repo.commit("a broken deal")
    assert_same_as_no_cache(repo.root, env={"CRM_LANG": "en"})
    assert_same_as_no_cache(repo.root, env={"CRM_LANG": "fr"})


def test_the_blobs_kept_are_bounded(tmp_path: Path) -> None:
    (tmp_path / "crm.yaml").write_text("name: x\n")
    store = IndexStore.open(tmp_path)
    assert store is not None
    for number in range(5):
        store.save_blobs({f"blob{number}": (None, dumps([]))}, "en", kept=3)
    assert store.blob("blob0", "en") is None and store.blob("blob1", "en") is None
    assert store.blob("blob4", "en") == (None, dumps([]))
    assert store.blob("blob4", "fr") is None  # kept in the language of their messages
    store.close()


def test_no_cache_reads_and_writes_no_index(repo: Repo) -> None:
    for command in COMMANDS:
        crm(repo.root, *command, "--no-cache")
        crm(repo.root, *command, env={"CRM_NO_CACHE": "1"})
    assert not (repo.root / INDEX).exists()
