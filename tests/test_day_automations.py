"""Issue 19, points 1 and 2 for automations: the sample's follow-up rule counts quiet days
from the last activity (else the last update), a reminder driven by `days_since_activity`
fires exactly once (the state file remembers it), and the next-step rule reminds the assignee
on the morning the step is due, once. Real webhook on 127.0.0.1, real git, real `crm`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from .automation_fixtures import Webhook
from .conftest import SAMPLE, crm
from .day_fixtures import ENV, day_repo


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    receiver = Webhook()
    receiver.start()
    yield receiver
    receiver.stop()


def members_notified_at(webhook: Webhook) -> str:
    return f"""
        name: Test Agency
        locale: fr_FR
        currency: EUR
        timezone: Europe/Paris
        members:
          alice: {{name: Alice Martin, email: alice@agency.example, role: manager,
                  notify: ["{webhook.url}"]}}
          bruno: {{name: Bruno Petit, email: bruno@agency.example, role: junior,
                  notify: ["{webhook.url}"]}}
        roles:
          manager: {{}}
          junior: {{hidden: [opportunities.cost]}}
    """


def sample_rule(name: str) -> str:
    """One rule of the sample workspace's automations.yaml, as shipped."""
    text = (SAMPLE / "automations.yaml").read_text(encoding="utf-8")
    found = re.search(rf"  - name: {name}\n(?:    .*\n|\s*\n)+", text)
    assert found, name
    return "rules:\n" + found.group(0)


def remind(root: Path, now: str) -> str:
    result = crm("remind", "--now", now, cwd=root, env=ENV)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_a_reminder_on_days_since_activity_fires_exactly_once(
    tmp_path: Path, webhook: Webhook
) -> None:
    rules = """
        rules:
          - name: Quiet deal
            on: schedule
            project: opportunities
            when: "outcome == 'open' and days_since_activity >= 10"
            do:
              - notify: assignee
                message: "{{ record.name }}: {{ record.days_since_activity }} days since the last call"
    """
    root = day_repo(
        tmp_path / "ws", {"crm.yaml": members_notified_at(webhook), "automations.yaml": rules}
    )
    remind(root, "2026-11-29T09:00")  # 9 days after the call: not yet
    assert webhook.messages == []
    remind(root, "2026-11-30T09:00")
    remind(root, "2026-11-30T10:00")
    remind(root, "2026-12-03T09:00")
    assert webhook.messages == [
        "Initech — Mobile app with a long name that will not fit on a card: "
        "10 days since the last call"
    ]
    state = (root / ".crm/automations-state.jsonl").read_text(encoding="utf-8")
    assert '"rule":"Quiet deal"' in state


def test_the_sample_follow_up_counts_from_the_last_activity_else_the_last_update(
    tmp_path: Path, webhook: Webhook
) -> None:
    root = day_repo(
        tmp_path / "ws",
        {
            "crm.yaml": members_notified_at(webhook),
            "automations.yaml": sample_rule("Follow-up reminder"),
        },
    )
    # Acme was last updated by its move of 2026-10-20, Globex by the commit of 2026-11-20;
    # Initech's last activity is a call of 2026-11-20
    remind(root, "2026-11-27T09:00")
    assert sorted(webhook.messages) == [
        "Follow up on Acme — Website (Proposal sent, 37 days quiet)",
        "Follow up on Globex — SEO audit (Lead, 7 days quiet)",
        "Follow up on Initech — Mobile app with a long name that will not fit on a card "
        "(Lead, 7 days quiet)",
    ]
    # a note two days later makes Initech's quiet days count from then, not from the file
    assert (
        crm(
            "note",
            "opportunities/initech-app",
            "Called",
            "--at",
            "2026-11-29T10:00",
            cwd=root,
            env=ENV,
        ).returncode
        == 0
    )
    webhook.posts.clear()
    remind(root, "2026-12-04T09:00")  # a week after the first reminders
    assert sorted(webhook.messages) == [
        "Follow up on Acme — Website (Proposal sent, 44 days quiet)",
        "Follow up on Globex — SEO audit (Lead, 14 days quiet)",
    ]


def test_the_sample_next_step_rule_reminds_the_assignee_the_morning_it_is_due_once(
    tmp_path: Path, webhook: Webhook
) -> None:
    root = day_repo(
        tmp_path / "ws",
        {
            "crm.yaml": members_notified_at(webhook),
            "automations.yaml": sample_rule("Next step due"),
        },
    )
    remind(root, "2026-12-01T08:00")  # the day before
    assert webhook.messages == []
    remind(root, "2026-12-02T08:00")
    remind(root, "2026-12-02T09:00")
    remind(root, "2026-12-02T14:00")
    remind(root, "2026-12-03T08:00")
    assert webhook.messages == [
        "Today: Send the revised quote "
        "(Initech — Mobile app with a long name that will not fit on a card)"
    ]
