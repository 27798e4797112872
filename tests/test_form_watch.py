"""The form server keeps its reading of the workspace up to date without reading it per
request: a watcher rescans the served projects (the index's freshness scan) and reads again
only what changed — a record edited in place by hand (its folder keeps its time), the
automations changed — while its own records are not read again."""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx

from crmcli.form.intake import Intake
from crmcli.form.live import ServedWorkspace

from . import test_form_server as lead_form
from .conftest import crm_in_process, load
from .form_fixtures import RESCAN, form_server

root, webhook = lead_form.root, lead_form.webhook  # the fixtures of the same lead workspace


def edit_in_place(path: Path, old: str, new: str) -> None:
    """A hand edit that rewrites the file itself: its folder's time does not move."""
    folder = path.parent.stat()
    text = path.read_text(encoding="utf-8")
    assert old in text
    with path.open("r+", encoding="utf-8") as file:
        file.write(text.replace(old, new))
        file.truncate()
    os.utime(path.parent, ns=(folder.st_atime_ns, folder.st_mtime_ns))
    assert path.parent.stat().st_mtime_ns == folder.st_mtime_ns


def submit(intake: Intake, name: str, **answers: str) -> str:
    submitted = intake.submit("clients", {"name": name, **answers})
    assert submitted.change is not None, submitted.answers.errors
    return submitted.change.record


def assignee(root: Path, ref: str) -> str:
    return load(root, f"{ref}.yaml")["assignee"]


def test_the_server_notices_a_record_edited_in_place_within_the_rescan_interval(root):
    hand = root / "clients" / "hand.yaml"
    hand.write_text("name: Hand\nlist: Prospects\nemail: old@made.example\n", encoding="utf-8")
    with form_server(root, ["clients"]) as base:
        edit_in_place(hand, "old@made.example", "new@made.example")
        time.sleep(RESCAN * 5)
        copy = httpx.post(f"{base}/api/clients", json={"name": "B", "email": "new@made.example"})
    assert copy.status_code == 201
    flagged = lead_form.record(root, "b")
    assert flagged["tags"] == ["possible-duplicate"]
    assert "clients/hand" in flagged["activities"][0]["text"]


def test_least_loaded_counts_follow_the_servers_records_and_hand_edits(root):
    edit_in_place(root / "automations.yaml", "strategy: round_robin", "strategy: least_loaded")
    for name in ("one", "two"):
        (root / "clients" / f"{name}.yaml").write_text(
            f"name: {name}\nlist: Prospects\nassignee: alice\n", encoding="utf-8"
        )
    served = ServedWorkspace(root, ["clients"], "alice")
    intake = Intake(served)
    assert assignee(root, submit(intake, "First lead")) == "bruno"  # alice holds two
    assert served.refresh() is False  # the server's own records are not read again
    for name in ("one", "two"):  # both given to bruno by hand: alice holds none now
        edit_in_place(root / "clients" / f"{name}.yaml", "assignee: alice", "assignee: bruno")
    assert served.refresh() is True
    assert assignee(root, submit(intake, "Second lead")) == "alice"
    assert served.refresh() is False


def test_changed_automations_are_compiled_again_from_the_next_rescan(root):
    served = ServedWorkspace(root, ["clients"], "alice")
    intake = Intake(served)
    assert assignee(root, submit(intake, "First lead")) == "alice"  # round robin: alice, bruno
    rules = root / "automations.yaml"
    edit_in_place(rules, "round_robin, among: [alice, bruno]", "round_robin, among: [alice]")
    assert served.refresh() is True
    assert assignee(root, submit(intake, "Second lead")) == "alice"  # not bruno's turn


def test_the_automations_state_is_read_again_once_someone_else_wrote_it(root):
    served = ServedWorkspace(root, ["clients"], "alice")
    intake = Intake(served)
    assert assignee(root, submit(intake, "First lead")) == "alice"  # round robin: alice, bruno
    added = crm_in_process("-C", root, "add", "clients", "By hand")  # takes bruno's turn
    assert added.returncode == 0, added.stderr
    assert load(root, "clients/by-hand.yaml")["assignee"] == "bruno"
    assert assignee(root, submit(intake, "Second lead")) == "alice"
