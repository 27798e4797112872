"""Issue 13 point 2: a reminder for a deal without an assignee goes to the rule's `fallback:`
members and channels; without one it is listed as undelivered, never dropped in silence; a
fallback naming a member or channel crm.yaml does not have is a `crm check` problem at its
line."""

from __future__ import annotations

import pytest

from . import test_automations
from .conftest import check
from .test_automations import run, state_lines

# the fixtures of the automation tests: receivers on loopback, workspaces
make_ws, smtp, webhook = test_automations.make_ws, test_automations.smtp, test_automations.webhook

AGING = """
    rules:
      - name: Aging deal
        on: schedule
        project: opportunities
        when: "max_days and days_in_list > max_days"
        {fallback}
        do:
          - notify: assignee
            message: "{{{{ record.name }}}} has been in {{{{ record.list }}}} for {{{{ days_in_list }}}} days"
"""
UNASSIGNED = """
    name: Acme — Site
    list: Proposal sent
    client: acme
    amount: 12000
    history:
      - {list: Proposal sent, at: 2026-10-20T16:40:00+02:00, by: alice}
"""
MESSAGE = "Acme — Site has been in Proposal sent for 33 days"


def aging(fallback: str = "") -> str:
    return AGING.format(fallback=fallback)


def test_a_reminder_without_assignee_goes_to_the_fallback_members_and_channels(
    make_ws, smtp, webhook
):
    root = make_ws(
        aging("fallback: [bruno, channel:sales]"), **{"opportunities__acme-site.yaml": UNASSIGNED}
    )
    result = run(root, "remind")
    assert result.returncode == 0, result.stderr
    assert [m.body for m in smtp.to("bruno@agency.example")] == [MESSAGE]
    assert webhook.messages == [MESSAGE]
    assert {e["to"] for e in state_lines(root)} == {"bruno", "channel:sales"}
    assert run(root, "remind").stdout == ""  # once per episode, like any reminder
    assert len(smtp.mails) == 1 and len(webhook.posts) == 1


def test_an_assigned_deal_ignores_the_fallback(make_ws, smtp, webhook):
    root = make_ws(aging("fallback: channel:sales"))
    assert run(root, "remind").returncode == 0
    assert [m.body for m in smtp.to("alice@agency.example")] == [MESSAGE]
    assert webhook.posts == []


def test_without_a_fallback_the_reminder_is_listed_as_undelivered(make_ws, smtp):
    root = make_ws(aging(), **{"opportunities__acme-site.yaml": UNASSIGNED})
    result = run(root, "remind")
    assert result.returncode == 0, result.stderr  # as skipped ones: nothing failed
    assert (
        "undelivered: Aging deal: opportunities/acme-site → assignee: no assignee and no "
        "fallback: in automations.yaml"
    ) in result.stdout
    assert "1 undelivered" in result.stderr
    assert smtp.mails == []
    listed = run(root, "remind", "--format", "json")
    assert '"status": "undelivered"' in listed.stdout


@pytest.mark.parametrize(
    "fallback, code, words",
    [
        ("fallback: [bruno, zoe]", "unknown-member", "“zoe” is not a member"),
        ("fallback: channel:sale", "unknown-channel", "did you mean “sales”"),
        ("fallback: assignee", "bad-fallback", "not the assignee"),
    ],
)
def test_check_reports_a_fallback_nobody_can_receive_at_its_line(make_ws, fallback, code, words):
    root = make_ws(aging(fallback))
    [problem] = [p for p in check(root).problems if p.code == code]
    assert problem.path == "automations.yaml" and words in problem.message
    line = (root / "automations.yaml").read_text(encoding="utf-8").splitlines()[problem.line - 1]
    assert line.strip() == fallback
