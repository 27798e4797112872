"""When a record last changed: a commit that only re-lays a file out is no update."""

from __future__ import annotations

import subprocess
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from crmcli.core.model import Record
from crmcli.core.yamlio import parse
from crmcli.git.timeline import Timeline

from .repos import commit

PARIS = ZoneInfo("Europe/Paris")
RECORD = "name: Acme — Site\nlist: Lead\namount: 12000\nupdated: 2026-01-05T10:00:00+01:00\n"


def last_update(root: Path) -> datetime:
    path = root / "opportunities/acme-site.yaml"
    record = Record(
        "opportunities", "acme-site", "opportunities/acme-site.yaml", parse(path.read_text()).data
    )
    return Timeline(root, PARIS).last_update(record)


def test_layout_commits_do_not_count_and_data_commits_do(tmp_path):
    root = tmp_path
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "config", "user.email", "a@b.example"], check=True)
    subprocess.run(["git", "-C", str(root), "config", "user.name", "A"], check=True)
    (root / "opportunities").mkdir()
    path = root / "opportunities/acme-site.yaml"
    path.write_text(RECORD, encoding="utf-8")
    commit(root, "add", "2026-01-05T10:00:00+01:00")

    path.write_text(
        "# reordered\nlist: Lead\nname: Acme — Site\namount: 12000\nupdated: 2026-01-05T10:00:00+01:00\n"
    )
    commit(root, "fmt", "2026-03-01T10:00:00+01:00")
    assert last_update(root) == datetime(2026, 1, 5, 10, tzinfo=PARIS)  # its own date

    path.write_text(path.read_text().replace("amount: 12000", "amount: 13000"))
    commit(root, "bigger", "2026-04-01T10:00:00+02:00")
    assert last_update(root) == datetime(2026, 4, 1, 10, tzinfo=PARIS)

    path.write_text(path.read_text().replace("# reordered\n", ""))  # uncommitted, layout only
    assert last_update(root) == datetime(2026, 4, 1, 10, tzinfo=PARIS)
