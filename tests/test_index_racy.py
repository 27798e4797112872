"""How the index stats files. Racily clean files: a file changed within two seconds of being
indexed is compared by content, not stat — until a later command, long enough after, finds it
unchanged: from then on its stat is trusted (as git refreshes its racily clean entries), and
edits still show. A large workspace is stat'ed half by a forked child, with the same result."""

from __future__ import annotations

import os
import time
from pathlib import Path

from crmcli.index.freshness import RACY_NS
from crmcli.index.store import IndexStore
from tests.conftest import crm_in_process

ENV = {"CRM_USER": "alice"}
SHOW = ("show", "opportunities/acme-website", "--format", "json")


def racy(root: Path) -> dict[str, bytes]:
    store = IndexStore.open(root)
    assert store is not None
    try:
        return store.meta("racy")
    finally:
        store.close()


def test_racy_files_settle_then_edits_still_show(workspace) -> None:
    root = workspace()
    assert crm_in_process("-C", root, "check", env=ENV).returncode == 0  # indexed at once: racy
    assert "opportunities/acme-website.yaml" in racy(root)
    time.sleep(RACY_NS / 1e9 + 0.2)
    crm_in_process("-C", root, *SHOW, env=ENV)  # served, contents compared: settled
    assert racy(root) == {}
    deal = root / "opportunities" / "acme-website.yaml"
    before = deal.stat()
    deal.write_text(deal.read_text().replace("amount: 12000", "amount: 13000"))
    os.utime(deal, ns=(before.st_atime_ns, before.st_mtime_ns))  # same size, same mtime
    indexed = crm_in_process("-C", root, *SHOW, env=ENV)
    assert indexed.stdout == crm_in_process("-C", root, *SHOW, "--no-cache", env=ENV).stdout
    assert "13000" in indexed.stdout


def test_a_scan_shared_with_a_forked_child_is_the_scan(tmp_path: Path, monkeypatch) -> None:
    from crmcli.index import freshness, walk
    from tests.generated_workspace import generate

    root = generate(tmp_path / "ws", clients=30, deals=300)
    (root / "opportunities" / "gone.yaml").symlink_to(root / "nowhere.yaml")  # a missing one
    alone = freshness.scan(root)
    monkeypatch.setattr(freshness, "_PARALLEL_FROM", 0)
    monkeypatch.setattr(walk, "CHUNK", 7)  # many chunks, odd ones from the child
    shared = freshness.scan(root)
    assert shared.listing == alone.listing and shared.fingerprint == alone.fingerprint
    assert len(shared.files) == len(alone.files) > 331
    assert shared.files["opportunities/gone.yaml"][0] == -1
