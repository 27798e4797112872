"""Issue 13 point 2: a state file that held lines and comes back empty or missing is a clear
error — never "send everything again" — whether it lives in `.crm/` (the marker there knows
it) or in the repository (its git history knows it, in a fresh clone too); a first run stays
silent, and `crm remind --reset-state` starts again from nothing on purpose."""

from __future__ import annotations

import pytest

from . import test_automations
from .test_automations import REMINDERS, STATE, git, repository, run, state_lines

# the fixtures of the automation tests: receivers on loopback, workspaces
make_ws, smtp, webhook = test_automations.make_ws, test_automations.smtp, test_automations.webhook


def test_a_first_run_without_any_state_sends_and_says_nothing_about_it(make_ws, smtp):
    root = make_ws(REMINDERS)
    first = run(root, "remind")
    assert first.returncode == 0, first.stderr
    assert "state" not in first.stderr and len(smtp.mails) == 2


@pytest.mark.parametrize("loss", ["deleted", "emptied"])
def test_a_lost_state_in_the_crm_folder_stops_the_run(make_ws, smtp, webhook, loss):
    root = make_ws(REMINDERS)
    assert run(root, "remind").returncode == 0
    sent = len(smtp.mails), len(webhook.posts)
    held = len(state_lines(root))
    state = root / STATE
    state.unlink() if loss == "deleted" else state.write_text("")
    refused = run(root, "remind")
    assert refused.returncode == 1
    assert f"{STATE} is empty or missing, but it held {held} lines" in refused.stderr
    assert "Nothing was sent" in refused.stderr and "crm remind --reset-state" in refused.stderr
    assert (len(smtp.mails), len(webhook.posts)) == sent
    reset = run(root, "remind", "--reset-state")  # on purpose: everything due goes again
    assert reset.returncode == 0, reset.stderr
    assert len(smtp.mails) == 2 * sent[0] and "reset" in [e["kind"] for e in state_lines(root)]
    assert run(root, "remind").returncode == 0 and len(smtp.mails) == 2 * sent[0]


def test_a_reset_with_nothing_due_still_leaves_a_state_that_is_not_empty(make_ws, smtp):
    root = make_ws(REMINDERS)
    assert run(root, "remind").returncode == 0
    (root / STATE).unlink()
    quiet = "2026-11-01T09:00"  # nothing due yet
    assert run(root, "remind", "--now", quiet, "--reset-state").returncode == 0
    assert [e["kind"] for e in state_lines(root)] == ["reset"]
    assert run(root, "remind", "--now", quiet).returncode == 0


def test_an_edit_with_a_lost_state_is_written_and_says_why_no_rule_ran(make_ws):
    root = make_ws(
        REMINDERS + "      - {name: Moved, on: moved, project: opportunities, do: [{tag: hot}]}\n"
    )
    assert run(root, "remind").returncode == 0
    (root / STATE).write_text("")
    moved = run(root, "move", "opportunities/bolt-seo", "Won")
    assert moved.returncode == 0
    assert "no automation ran" in moved.stderr and "empty or missing" in moved.stderr


def test_a_committed_state_emptied_by_a_checkout_is_refused_in_a_fresh_clone(
    make_ws, smtp, tmp_path
):
    extra = "state_file: automations-state.jsonl"
    root = repository(make_ws, REMINDERS)
    (root / "crm.yaml").write_text(
        (root / "crm.yaml").read_text(encoding="utf-8") + f"\n{extra}\n", encoding="utf-8"
    )
    assert run(root, "remind").returncode == 0
    git(root, "add", "-A")
    git(root, "commit", "-qm", "what was sent")
    sent = git(root, "rev-parse", "--short", "HEAD").strip()
    git(root, "switch", "-qc", "cleanup")
    (root / "automations-state.jsonl").write_text("")
    git(root, "commit", "-qam", "oops: emptied")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "-b", "cleanup", str(root), str(clone))
    mails = len(smtp.mails)
    refused = run(clone, "remind")
    assert refused.returncode == 1
    assert f"but commit {sent} holds lines" in refused.stderr
    assert f"git checkout {sent} -- automations-state.jsonl" in refused.stderr
    assert len(smtp.mails) == mails
    git(clone, "checkout", sent, "--", "automations-state.jsonl")
    assert run(clone, "remind").returncode == 0 and len(smtp.mails) == mails
