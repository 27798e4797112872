"""Exact recompute: one changed record computes again itself and the records linked to it;
the index rewrites only the rows that changed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.conftest import crm_in_process, write_files

INDEX = Path(".crm") / "index.sqlite"
GLOBEX = {
    "clients/globex.yaml": """
        name: Globex
        list: Clients
        email: hello@globex.example
        region: Lyon
    """,
    "opportunities/globex-seo.yaml": """
        name: Globex — SEO
        list: Won
        client: globex
        amount: 3000
        cost: 1000
    """,
}


def watch_writes(root: Path) -> None:
    """From now on the index notes in a table of its own each row it writes."""
    with sqlite3.connect(root / INDEX) as db:
        db.execute("CREATE TABLE written (path TEXT)")
        db.execute(
            "CREATE TRIGGER noted AFTER INSERT ON files "
            "BEGIN INSERT INTO written VALUES (new.path); END"
        )


def written(root: Path) -> set[str]:
    with sqlite3.connect(root / INDEX) as db:
        return {path for (path,) in db.execute("SELECT path FROM written")}


def computed(root: Path, path: str) -> bytes:
    with sqlite3.connect(root / INDEX) as db:
        return db.execute("SELECT computed FROM files WHERE path = ?", (path,)).fetchone()[0]


def won_total(root: Path, client: str, *extra: str) -> str:
    run = crm_in_process(
        "-C", root, "list", "clients", "--columns", "name,won_total", "--where",
        f"name == '{client}'", *extra, env={"CRM_USER": "alice"},
    )  # fmt: skip
    assert run.returncode == 0, run.stdout
    return run.stdout


def test_a_rollup_follows_one_deal_and_unrelated_rows_stay_as_written(workspace) -> None:
    root = workspace(GLOBEX)
    assert crm_in_process("-C", root, "check").returncode == 0  # builds the index
    assert "12" in won_total(root, "Acme")
    before = computed(root, "clients/acme.yaml")
    watch_writes(root)

    deal = root / "opportunities/acme-website.yaml"
    deal.write_text(deal.read_text().replace("amount: 12000", "amount: 15000"))
    assert won_total(root, "Acme") == won_total(root, "Acme", "--no-cache")
    assert "15" in won_total(root, "Acme")
    # the edited deal and the client whose rollup changed; Globex and its deal are untouched
    assert written(root) == {"opportunities/acme-website.yaml", "clients/acme.yaml"}
    assert computed(root, "clients/acme.yaml") != before
    assert (
        crm_in_process("-C", root, "check").stdout
        == crm_in_process("-C", root, "check", "--no-cache").stdout
    )


def test_a_deal_moved_to_another_client_recomputes_both(workspace) -> None:
    root = workspace(GLOBEX)
    crm_in_process("-C", root, "check")
    write_files(
        root,
        {
            "opportunities/acme-website.yaml": """
                name: Acme — Website
                list: Won
                client: globex
                amount: 12000
                cost: 7000
            """
        },
    )
    for client in ("Acme", "Globex"):
        assert won_total(root, client) == won_total(root, client, "--no-cache")
    (root / "opportunities/globex-seo.yaml").unlink()
    for client in ("Acme", "Globex"):
        assert won_total(root, client) == won_total(root, client, "--no-cache")
