"""A form server takes submission after submission without re-reading what it holds: the
editor lives on (and keeps acting as its member), and the automations' state file is only
appended to — never rewritten per submission — while assignments and announcements stay
exactly once each."""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path

from crmcli.automations.state import DEFAULT_STATE_FILE
from crmcli.form.intake import Intake
from crmcli.form.live import ServedWorkspace

from . import test_form_server as lead_form
from .conftest import crm_in_process, load

root, webhook = lead_form.root, lead_form.webhook  # the fixtures of the same lead workspace


def state_text(workspace: Path) -> str:
    return (workspace / DEFAULT_STATE_FILE).read_text(encoding="utf-8")


def test_submissions_append_to_the_state_and_assign_in_turn_once_each(root, webhook):
    served = ServedWorkspace(root, ["clients"], "alice")
    intake = Intake(served)
    texts = []
    for name in ("Alpha", "Beta", "Gamma"):
        submitted = intake.submit("clients", {"name": name, "email": f"{name}@lead.example"})
        assert submitted.change is not None, submitted.answers.errors
        texts.append(state_text(root))
    assert texts[0] and all(later.startswith(earlier) for earlier, later in pairwise(texts))
    assignees = [
        load(root, f"clients/{name}.yaml")["assignee"] for name in ("alpha", "beta", "gamma")
    ]
    assert assignees == ["alice", "bruno", "alice"]
    assert webhook.messages == [
        "New lead Alpha for alice",
        "New lead Beta for bruno",
        "New lead Gamma for alice",
    ]
    assert served.current().editor.actor.name == "Alice Martin"  # still acting as --as

    run = crm_in_process("-C", root, "remind")
    assert run.returncode == 0, run.stderr
    lines = [json.loads(line) for line in state_text(root).splitlines()]
    assert [line["position"] for line in lines if line["kind"] == "round_robin"] == [1]
    assert len(webhook.messages) == 3  # tidied, and nothing announced twice
