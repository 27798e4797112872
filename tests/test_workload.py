"""Open records per member for least_loaded assignment, from the cache in .crm/."""

from __future__ import annotations

import os

from crmcli.automations import workload
from crmcli.core.loader import Loader

DEALS = {
    f"opportunities/deal-{n}.yaml": f"name: Deal {n}\nlist: {stage}\nclient: acme\nassignee: {who}\n"
    for n, (stage, who) in enumerate(
        [("Lead", "alice"), ("Lead", "alice"), ("Proposal sent", "bruno"), ("Won", "bruno")]
    )
}


def loads(root):
    project = Loader(root).load(lazy=True).projects["opportunities"]
    return workload.open_records_by_member(root, project)


def test_counts_follow_added_and_removed_records(workspace):
    root = workspace(DEALS)  # the base deal acme-website is Won: not open
    assert loads(root) == {"alice": 2, "bruno": 1}
    (root / "opportunities/deal-0.yaml").unlink()
    (root / "opportunities/deal-9.yaml").write_text(
        "name: Deal 9\nlist: Lead\nclient: acme\nassignee: bruno\n", encoding="utf-8"
    )
    folder = root / "opportunities"
    os.utime(folder, ns=(folder.stat().st_atime_ns, folder.stat().st_mtime_ns + 1_000_000))
    assert loads(root) == {"alice": 1, "bruno": 2}


def test_a_full_load_rewrites_the_cache_and_assignments_are_recorded(workspace):
    root = workspace(DEALS)
    assert loads(root) == {"alice": 2, "bruno": 1}
    path = root / "opportunities/deal-2.yaml"  # moved to Won by hand, in place
    path.write_text(
        path.read_text(encoding="utf-8").replace("Proposal sent", "Won"), encoding="utf-8"
    )
    full = Loader(root).load().projects["opportunities"]
    workload.refresh_from_loaded(root, full)
    assert loads(root) == {"alice": 2}
    lazy = Loader(root).load(lazy=True).projects["opportunities"]
    record = lazy.records["deal-3"]
    record.data.update(list="Lead", assignee="alice")
    workload.record_assignment(root, lazy, record)
    assert loads(root) == {"alice": 3}


def test_a_damaged_cache_is_rebuilt(workspace):
    root = workspace(DEALS)
    (root / ".crm").mkdir(exist_ok=True)
    (root / ".crm/workload.sqlite").write_bytes(b"not a database at all" * 100)
    assert loads(root) == {"alice": 2, "bruno": 1}
