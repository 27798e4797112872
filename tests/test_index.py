"""The index in .crm/: it never changes an answer, whatever happened to it or to the files."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import crm_in_process
from tests.repos import git

INDEX = Path(".crm") / "index.sqlite"
DEAL = "opportunities/acme-website.yaml"
ANSWERS = (
    ("check", "--format", "json"),
    ("show", "clients/acme"),
    ("show", "opportunities/acme-website", "--format", "json"),
    ("list", "clients", "--columns", "name,won_total,opportunities"),
    ("list", "opportunities", "--columns", "name,amount,profit,client_email"),
)


def answers(root: Path, *extra: str, env: dict[str, str] | None = None) -> list[tuple[int, str]]:
    found = []
    for args in ANSWERS:
        run = crm_in_process("-C", root, *args, *extra, env={"CRM_USER": "alice", **(env or {})})
        found.append((run.returncode, run.stdout))
    return found


def assert_same_as_files(root: Path) -> None:
    """Indexed answers (twice: built, then served) are those of --no-cache."""
    expected = answers(root, "--no-cache")
    assert answers(root) == expected
    assert answers(root) == expected


def test_index_lives_in_a_self_ignoring_state_folder(workspace) -> None:
    root = workspace()
    git(root, "init", "-q")
    assert_same_as_files(root)
    assert (root / INDEX).is_file()
    assert (root / ".crm" / ".gitignore").read_text() == "*\n"
    assert ".crm" not in git(root, "status", "--porcelain", "--untracked-files=all")


def test_no_cache_and_crm_no_cache_never_make_an_index(workspace) -> None:
    root = workspace()
    answers(root, "--no-cache")
    answers(root, env={"CRM_NO_CACHE": "1"})
    assert not (root / INDEX).exists()


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda path: path.write_bytes(b"not a database at all" * 100), id="garbage"),
        pytest.param(
            lambda path: path.write_bytes(path.read_bytes()[: path.stat().st_size // 2]),
            id="truncated",
        ),
        pytest.param(lambda path: path.write_bytes(b""), id="empty"),
    ],
)
def test_a_damaged_index_is_rebuilt(workspace, damage) -> None:
    root = workspace()
    expected = answers(root, "--no-cache")
    answers(root)
    damage(root / INDEX)
    assert answers(root) == expected
    with sqlite3.connect(root / INDEX) as db:
        assert db.execute("SELECT count(*) FROM files").fetchone()[0] == 2
    assert answers(root) == expected


def test_damaged_rows_are_not_served(workspace) -> None:
    root = workspace()
    expected = answers(root, "--no-cache")
    answers(root)
    with sqlite3.connect(root / INDEX) as db:
        db.execute("UPDATE files SET data = x'80059500', computed = x'00'")
    assert answers(root) == expected


def test_an_index_may_not_make_unpickling_run_code(workspace, tmp_path) -> None:
    """An index file that came from elsewhere cannot run anything when read."""
    root = workspace()
    answers(root)
    marker = tmp_path / "ran"
    hostile = (
        b"cos\nsystem\n(S'touch " + str(marker).encode() + b"'\ntR."
    )  # pickle protocol 0: os.system("touch …")
    with sqlite3.connect(root / INDEX) as db:
        db.execute("UPDATE files SET data = ?", (hostile,))
    assert answers(root) == answers(root, "--no-cache")
    assert not marker.exists()


def test_an_index_of_another_version_is_rebuilt(workspace) -> None:
    root = workspace()
    answers(root)
    import pickle

    with sqlite3.connect(root / INDEX) as db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'tool'", (pickle.dumps("0.0.0-other"),))
        db.execute("UPDATE files SET data = ?", (pickle.dumps({"name": "Stale"}),))
    assert answers(root) == answers(root, "--no-cache")


def test_a_rewrite_that_restores_the_old_mtime_is_seen(workspace) -> None:
    root = workspace()
    answers(root)
    deal = root / DEAL
    before = deal.stat()
    text = deal.read_text(encoding="utf-8")
    deal.write_text(text.replace("amount: 12000", "amount: 99000"), encoding="utf-8")
    os.utime(deal, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert deal.stat().st_size == before.st_size
    assert_same_as_files(root)
    assert "99" in crm_in_process("-C", root, "show", "opportunities/acme-website").stdout


def test_same_second_rewrites_of_the_same_size_are_seen(workspace) -> None:
    root = workspace()
    deal = root / DEAL
    text = deal.read_text(encoding="utf-8")
    for amount in ("11111", "22222", "33333"):
        deal.write_text(text.replace("12000", amount), encoding="utf-8")
        assert_same_as_files(root)


def test_a_checkout_of_another_revision_is_seen(workspace) -> None:
    root = workspace()
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "-c", "user.name=A", "-c", "user.email=a@x", "commit", "-qm", "one")
    first = git(root, "rev-parse", "HEAD").strip()
    assert_same_as_files(root)
    deal = root / DEAL
    deal.write_text(deal.read_text(encoding="utf-8").replace("12000", "45000"), encoding="utf-8")
    (root / "opportunities" / "acme-seo.yaml").write_text(
        "name: Acme — SEO\nlist: Lead\nclient: acme\namount: 3000\n", encoding="utf-8"
    )
    git(root, "add", "-A")
    git(root, "-c", "user.name=A", "-c", "user.email=a@x", "commit", "-qm", "two")
    assert_same_as_files(root)
    git(root, "checkout", "-q", first)
    assert_same_as_files(root)


def test_schema_and_configuration_changes_are_seen(workspace) -> None:
    root = workspace()
    assert_same_as_files(root)
    schema = root / "opportunities" / "_project.yaml"
    schema.write_text(
        schema.read_text(encoding="utf-8").replace('expr: "amount - cost"', 'expr: "amount * 2"'),
        encoding="utf-8",
    )
    assert_same_as_files(root)
    crm_yaml = root / "crm.yaml"
    crm_yaml.write_text(crm_yaml.read_text(encoding="utf-8").replace("fr_FR", "en_US"))
    assert_same_as_files(root)


def test_a_record_that_cannot_be_read_stays_named_from_the_index(workspace) -> None:
    root = workspace({"opportunities/broken.yaml": "name: [unclosed\n"})
    expected = answers(root, "--no-cache")
    runs = [crm_in_process("-C", root, "list", "opportunities") for _ in range(2)]
    assert all("opportunities/broken was left out" in run.stderr for run in runs)
    assert answers(root) == expected


def test_a_document_named_by_a_files_field_is_watched(workspace) -> None:
    root = workspace(
        {
            "opportunities/_project.yaml": textwrap.dedent(
                """
                name: Opportunities
                lists: [Lead, Won]
                fields:
                  client: {type: reference, project: clients}
                  amount: {type: currency}
                  cost: {type: currency}
                  contracts: {type: files}
                """
            ),
            DEAL: "name: Acme — Website\nlist: Won\nclient: acme\ncontracts: [docs/contract.pdf]\n",
        }
    )
    assert_same_as_files(root)
    (root / "docs").mkdir()
    (root / "docs" / "contract.pdf").write_bytes(b"%PDF")
    assert_same_as_files(root)
    run = crm_in_process("-C", root, "check")
    assert "contract.pdf" not in run.stdout


# a crm whose index save kills its process at the second row (the command, or a detached saver)
KILLED_WHILE_SAVING = """
import os, signal, sys
from crmcli.index import store

original = store.IndexStore.save

class Dying(list):
    def __iter__(self):
        for number, row in enumerate(list.__iter__(self)):
            if number == 1:
                os.kill(os.getpid(), signal.SIGKILL)
            yield row

def save(self, rows, *rest, **named):
    return original(self, Dying(rows), *rest, **named)

store.IndexStore.save = save
from crmcli.cli.main import run
sys.argv = ["crm", *sys.argv[1:]]
run()
"""


def test_sigkill_while_writing_the_index_leaves_correct_answers(workspace) -> None:
    root = workspace(
        {f"opportunities/deal-{n}.yaml": f"name: Deal {n}\nclient: acme\n" for n in range(5)}
    )
    expected = answers(root, "--no-cache")
    answers(root)  # an index of the state before
    deal = root / DEAL
    deal.write_text(deal.read_text(encoding="utf-8").replace("12000", "77000"), encoding="utf-8")
    expected = answers(root, "--no-cache")
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_WHILE_SAVING, "-C", str(root), "check"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "CRM_USER": "alice"},
    )
    assert killed.returncode == -signal.SIGKILL
    assert (root / ".crm" / "index.sqlite-journal").exists()  # the transaction was cut short
    assert answers(root) == expected
    assert answers(root) == expected


def test_records_checked_before_are_checked_again_when_what_they_name_changes(workspace) -> None:
    """Unchanged records without issues are not checked again, unless the records they may
    name (references, depends_on) or the documents of `files` fields changed."""
    root = workspace(
        {"opportunities/acme-seo.yaml": "name: Acme — SEO\nlist: Lead\nclient: acme\n"}
    )
    assert_same_as_files(root)
    (root / "clients" / "acme.yaml").unlink()
    assert_same_as_files(root)
    assert "dangling-reference" in crm_in_process("-C", root, "check").stdout
    (root / "clients" / "acme.yaml").write_text("name: Acme\nlist: Clients\n", encoding="utf-8")
    assert_same_as_files(root)
    seo = root / "opportunities" / "acme-seo.yaml"
    seo.write_text(seo.read_text(encoding="utf-8") + "amount: lots\n", encoding="utf-8")
    assert_same_as_files(root)
