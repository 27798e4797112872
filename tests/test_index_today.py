"""The index computes and serves values for the workspace's today: its time zone, $CRM_NOW."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import crm_in_process

TODAY_FIELD = """
    name: Opportunities
    record_name: Deal
    lists: [Lead, {name: Won, outcome: won}]
    fields:
      client: {type: reference, project: clients}
      amount: {type: currency}
      seen_on: {type: formula, expr: "TODAY()"}
"""


def seen_on(root: Path, now: str, *extra: str) -> str:
    run = crm_in_process(
        "-C", root, "show", "opportunities/acme-website", "--format", "json", *extra,
        env={"CRM_USER": "alice", "CRM_NOW": now},
    )  # fmt: skip
    assert run.returncode == 0, run.stdout
    return json.dumps(json.loads(run.stdout)).split('"seen_on": ')[1][:12]


def test_today_is_the_workspace_day_not_the_machine_day(workspace) -> None:
    root = workspace({"opportunities/_project.yaml": TODAY_FIELD})
    crm = (root / "crm.yaml").read_text().replace("Europe/Paris", "Pacific/Kiritimati")
    (root / "crm.yaml").write_text(crm)
    # 12:00 UTC is already the next day at UTC+14
    assert "2026-03-02" in seen_on(root, "2026-03-01T12:00:00+00:00", "--no-cache")
    assert "2026-03-02" in seen_on(root, "2026-03-01T12:00:00+00:00")  # builds the index
    assert "2026-03-02" in seen_on(root, "2026-03-01T12:00:00+00:00")  # served by it
    # another day: the index does not serve yesterday's values
    assert "2026-03-03" in seen_on(root, "2026-03-02T12:00:00+00:00")
    assert "2026-03-03" in seen_on(root, "2026-03-02T12:00:00+00:00", "--no-cache")
