"""Automations (issue 5): rules validated by `crm check`, event rules fired by `crm add/move/
set` and by `crm automate --since` over real git commits, schedule rules sent by `crm remind`
— through a real SMTP server (aiosmtpd) and a real webhook receiver on loopback.

Commands run through the real entry point of the `crm` script, in this process for speed; the
clock is fixed with CRM_NOW / --now and git is isolated from the developer's configuration.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest

from . import repos
from .automation_fixtures import SmtpServer, Webhook, free_port
from .conftest import SAMPLE, Run, check, crm_in_process, load, plain, write_files

ENV = {
    "CRM_NOW": "2026-11-23T09:00:00",
    "CRM_USER": "",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}
STATE = ".crm/automations-state.jsonl"
DEAL = "opportunities/acme-site"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    receiver = Webhook()
    receiver.start()
    yield receiver
    receiver.stop()


def crm_yaml(smtp: SmtpServer, channel: str, extra: str = "") -> str:
    return f"""
        name: Test Agency
        locale: fr_FR
        currency: EUR
        timezone: Europe/Paris
        members:
          alice: {{name: Alice Martin, email: alice@agency.example, role: manager, region: Paris,
                  notify: ["{smtp.url("alice@agency.example")}"]}}
          bruno: {{name: Bruno Petit, email: bruno@agency.example, role: sales, region: Lyon,
                  notify: ["{smtp.url("bruno@agency.example")}"]}}
          olga: {{name: Ольга Смирнова, email: olga@agency.example, role: sales, region: Paris,
                 notify: ["{smtp.url("olga@agency.example")}"]}}
          camille: {{name: Camille Roux, role: sales, region: Lyon, away: true,
                    notify: ["{smtp.url("camille@agency.example")}"]}}
        roles:
          manager: {{}}
          sales: {{read_only: [opportunities.cost]}}
        channels:
          sales: "{channel}"
        {extra}
    """


FILES = {
    "clients/_project.yaml": """
        name: Clients
        record_name: Company
        lists: [Clients]
        fields:
          email: {type: email}
          region: {type: select, options: [Paris, Lyon]}
          opportunities: {type: referenced_by, from: opportunities.client}
          won_total: {type: rollup, through: opportunities, field: amount, agg: sum, where: "outcome == 'won'"}
    """,
    "clients/acme.yaml": """
        name: Acme
        list: Clients
        email: contact@acme.example
        region: Lyon
    """,
    "clients/bolt.yaml": """
        name: Bolt
        list: Clients
        region: Paris
    """,
    "opportunities/_project.yaml": """
        name: Opportunities
        record_name: Deal
        lists:
          - {name: Lead, probability: 0.1}
          - {name: Proposal sent, probability: 0.5, max_days: 14}
          - {name: Negotiations, probability: 0.7}
          - {name: Won, outcome: won}
          - {name: Lost, outcome: lost}
        tags: [website, seo, hot]
        fields:
          amount: {type: currency}
          cost: {type: currency}
          profit: {type: formula, expr: "amount - cost", format: currency}
          close_date: {type: date}
          client: {type: reference, project: clients, required: true}
          client_name: {type: lookup, through: client, field: name}
          lost_reason: {type: select, options: [Price, Timing], required_in: [Lost]}
    """,
    "opportunities/acme-site.yaml": """
        name: Acme — Site
        list: Proposal sent
        assignee: alice
        client: acme
        amount: 12000
        cost: 7000
        close_date: 2026-12-10
        updated: 2026-11-02T10:00:00+01:00
        history:
          - {list: Lead, at: 2026-10-01T09:00:00+02:00, by: alice}
          - {list: Proposal sent, at: 2026-10-20T16:40:00+02:00, by: alice}
    """,
    "opportunities/bolt-seo.yaml": """
        name: Bolt — SEO
        list: Negotiations
        assignee: bruno
        client: bolt
        amount: 3000
        updated: 2026-11-20T10:00:00+01:00
        history:
          - {list: Negotiations, at: 2026-11-20T10:00:00+01:00, by: bruno}
    """,
}


@pytest.fixture
def make_ws(tmp_path, smtp, webhook):
    """make_ws(automations, extra_crm_yaml=…, channel=…) → a workspace with those rules."""

    def make(automations: str, extra: str = "", channel: str | None = None, **files: str) -> Path:
        root = tmp_path / "ws"
        write_files(
            root,
            {
                **FILES,
                "crm.yaml": crm_yaml(smtp, channel or webhook.url, extra),
                "automations.yaml": automations,
                **{k.replace("__", "/"): v for k, v in files.items()},
            },
        )
        return root

    return make


def run(root: Path, *args: str, **env: str) -> Run:
    """`crm -C root ARGS` through the `crm` script's entry point, in this process."""
    return crm_in_process("-C", root, *args, env={**ENV, **env})


def state_lines(root: Path, relative: str = STATE) -> list[dict]:
    path = root / relative
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def git(root: Path, *args: str, **env: str) -> str:
    return repos.git(root, *args, env={**ENV, **env})


# 1. automations.yaml is validated by crm check, each mistake at its line

STAGE_CHANGE = """
    rules:
      - name: Stage change
        on: moved
        project: opportunities
        to: [Negotiations, Won]
        do:
          - notify: [channel:sales, alice]
            subject: "{{ record.name }} moved"
            message: "{{ record.name }}: {{ from_list }} → {{ to_list }} ({{ formatted.profit }} profit, {{ link }})"
"""

BAD_RULES = {
    "unknown trigger": ("on: craeted", "unknown-trigger", "did you mean “created”"),
    "unknown action": ("do: [{notfy: alice}]", "unknown-action", "did you mean “notify”"),
    "unknown field": ("on: changed\n    fields: [amount, amuont]", "unknown-field", "amuont"),
    "missing member": ("do: [{notify: alicia}]", "unknown-member", "did you mean “alice”"),
    "missing list": ("on: moved\n    to: [Negociations]", "unknown-list", "Negotiations"),
    "missing channel": ("do: [{notify: 'channel:sale'}]", "unknown-channel", "sales"),
    "condition": ("when: \"amount > 'big'\"", "type-error", "compare"),
    "template syntax": (
        "do: [{notify: alice, message: '{{ record.name '}]",
        "template-syntax",
        "cannot be read",
    ),
    "template outside the sandbox": (
        "do: [{notify: alice, message: '{{ record.__class__.__mro__ }}'}]",
        "template-unsafe",
        "outside the sandbox",
    ),
    "template unknown field": (
        "do: [{notify: alice, message: '{{ record.amonut }}'}]",
        "unknown-field",
        "amount",
    ),
    "set unknown value": ("do: [{set: {lost_reason: Cheap}}]", "bad-value", "Cheap"),
    "tag unknown": ("do: [{tag: hott}]", "unknown-tag", "hot"),
    "assign strategy": (
        "do: [{assign: {strategy: leastloaded}}]",
        "unknown-strategy",
        "least_loaded",
    ),
    "assign missing member": (
        "do: [{assign: {among: [alice, zoe]}}]",
        "unknown-member",
        "zoe",
    ),
}


@pytest.mark.parametrize("case", BAD_RULES, ids=list(BAD_RULES))
def test_check_reports_each_mistake_in_a_rule_at_its_line(make_ws, case):
    change, code, words = BAD_RULES[case]
    rule = {
        "on": "created",
        "do": "do: [{notify: alice}]",
        "when": None,
    }
    lines = ["rules:", "  - name: Broken", "    project: opportunities"]
    keys = [line.split(":")[0].strip() for line in change.splitlines()]
    if "on" not in keys:
        lines.append(f"    on: {rule['on']}")
    lines.append("    " + change)
    if "do" not in keys:
        lines.append("    " + rule["do"])
    root = make_ws("\n".join(lines) + "\n")
    problems = [p for p in check(root).problems if p.path == "automations.yaml"]
    found = [p for p in problems if p.code == code]
    assert found, problems
    text = (root / "automations.yaml").read_text(encoding="utf-8").splitlines()
    assert text[found[0].line - 1].strip().startswith(change.splitlines()[-1].strip().split(":")[0])
    assert words in found[0].message
    result = run(root, "check")
    assert result.returncode == 1
    assert f"automations.yaml:{found[0].line}:" in result.stdout


def test_the_sample_rules_validate_and_a_dry_run_lists_them():
    problems = [p for p in check(SAMPLE).problems if p.path in ("automations.yaml", "crm.yaml")]
    assert problems == []
    result = run(SAMPLE, "remind", "--dry-run", "--now", "2026-11-23T09:00")
    assert result.returncode == 0, result.stderr
    assert "Follow-up reminder" in result.stdout and "Aging deal" in result.stdout
    assert "dry run: nothing sent or written" in result.stderr
    assert not (SAMPLE / STATE).exists()


# 2. actions: assign (round-robin with weights, least-loaded by region, routes), notify, set,
#    tag, move — fired at once by crm add / move / set


def test_a_move_notifies_the_channel_and_a_member_with_the_record_fields(make_ws, smtp, webhook):
    root = make_ws(STAGE_CHANGE, extra='record_link: "https://git.example/crm/blob/main/{path}"')
    result = run(root, "move", DEAL, "Negotiations")
    assert result.returncode == 0, result.stderr
    message = "Acme — Site: Proposal sent → Negotiations (5\u202f000,00\u00a0€ profit, https://git.example/crm/blob/main/opportunities/acme-site.yaml)"
    assert webhook.messages == [message]
    assert webhook.posts[0]["title"] == "Acme — Site moved"
    [mail] = smtp.to("alice@agency.example")
    assert (mail.subject, mail.body) == ("Acme — Site moved", plain(message))
    assert run(root, "move", DEAL, "Proposal sent").returncode == 0  # not a watched list
    assert len(webhook.posts) == 1 and len(smtp.mails) == 1


def test_a_changed_rule_fires_only_for_its_fields(make_ws, webhook):
    root = make_ws(
        """
        rules:
          - name: Client details changed
            on: changed
            project: clients
            fields: [email]
            do:
              - notify: channel:sales
                message: "{{ record.name }}: {{ changed | join(', ') }} → {{ record.email }}"
        """
    )
    assert run(root, "set", "clients/acme", "region=Paris").returncode == 0
    assert webhook.posts == []
    assert run(root, "set", "clients/acme", "email=new@acme.example").returncode == 0
    assert webhook.messages == ["Acme: email → new@acme.example"]


ASSIGN = """
    rules:
      - name: Assign new leads
        on: created
        project: opportunities
        when: "list == 'Lead'"
        do:
          - assign: {{strategy: {strategy}, among: {among}{extra}}}
"""


def add_deals(root: Path, count: int, client: str = "acme", *more: str) -> list[str]:
    assignees = []
    for number in range(count):
        result = run(
            root,
            "add",
            "opportunities",
            f"Deal {number}",
            "--set",
            f"client={client}",
            *more,
            "--print-id",
        )
        assert result.returncode == 0, result.stderr
        assignees.append(load(root, result.stdout.strip() + ".yaml").get("assignee"))
    return assignees


def test_round_robin_follows_the_weights_skips_the_away_and_remembers_its_turn(make_ws):
    root = make_ws(
        ASSIGN.format(strategy="round_robin", among="{alice: 2, bruno: 1, camille: 3}", extra="")
    )
    assert add_deals(root, 6) == ["alice", "bruno", "alice", "alice", "bruno", "alice"]
    [position] = [e for e in state_lines(root) if e["kind"] == "round_robin"]
    assert position["rule"] == "Assign new leads"


def test_least_loaded_picks_by_region_the_member_with_fewest_open_deals(make_ws):
    rules = ASSIGN.format(
        strategy="least_loaded",
        among="[alice, bruno, olga, camille]",
        extra=", by: {region: client.region}",
    )
    root = make_ws(rules)
    # Paris: alice has acme-site open, olga nothing → olga, then alice, then olga…
    assert add_deals(root, 3, "bolt") == ["olga", "alice", "olga"]
    # Lyon: bruno only (camille is away)
    assert add_deals(root, 1, "acme") == ["bruno"]


def test_routes_send_big_deals_to_one_member_and_an_assignee_is_kept(make_ws):
    rules = ASSIGN.format(
        strategy="round_robin",
        among="[alice, bruno]",
        extra=", routes: [{when: 'amount >= 50000', to: [olga]}]",
    )
    root = make_ws(rules)
    assert add_deals(root, 1, "acme", "--set", "amount=80 000") == ["olga"]
    assert add_deals(root, 1, "acme", "--set", "amount=100") == ["alice"]
    assert add_deals(root, 1, "acme", "--assignee", "olga") == ["olga"]  # not overwritten


def test_set_tag_and_move_actions_write_like_edits_and_loops_stop(make_ws, webhook):
    root = make_ws(
        """
        rules:
          - name: Won deals
            on: moved
            project: opportunities
            to: [Won]
            do:
              - set: {close_date: today}
              - tag: {add: [hot], remove: [seo]}
          - name: Back and forth
            on: moved
            project: opportunities
            to: [Negotiations]
            do:
              - move: Proposal sent
          - name: Forth and back
            on: moved
            project: opportunities
            to: [Proposal sent]
            do:
              - move: Negotiations
        """
    )
    result = run(root, "move", DEAL, "Won")
    assert result.returncode == 0, result.stderr
    deal = load(root, DEAL + ".yaml")
    assert str(deal["close_date"]) == "2026-11-23" and deal["tags"] == ["hot"]
    assert (
        run(root, "move", "opportunities/bolt-seo", "Lost", "--set", "lost_reason=Price").returncode
        == 0
    )
    result = run(root, "move", "opportunities/bolt-seo", "Negotiations")
    assert result.returncode == 0, result.stderr
    lists = [entry["list"] for entry in load(root, "opportunities/bolt-seo.yaml")["history"]]
    # each rule fires once per record and run: Negotiations → Proposal sent → Negotiations
    assert lists[-3:] == ["Negotiations", "Proposal sent", "Negotiations"]
    assert check(root).errors == []


# 3. crm remind: schedule rules, once per episode or repeat period, state written after delivery

REMINDERS = """
    rules:
      - name: Follow-up reminder
        on: schedule
        project: opportunities
        when: "outcome == 'open' and days_since_update >= 7"
        repeat: 7 days
        do:
          - notify: assignee
            message: "Follow up on {{ record.name }} ({{ record.list }}, {{ days_since_update }} days quiet)"
      - name: Aging deal
        on: schedule
        project: opportunities
        when: "max_days and days_in_list > max_days"
        do:
          - notify: [assignee, channel:sales]
            message: "{{ record.name }} has been in {{ record.list }} for {{ days_in_list }} days"
      - name: Closing soon
        on: schedule
        project: opportunities
        when: "outcome == 'open' and days_until(close_date) <= 20"
        do:
          - tag: hot
"""


def test_remind_sends_each_reminder_once_per_episode_or_repeat_period(make_ws, smtp, webhook):
    root = make_ws(REMINDERS)
    first = run(root, "remind")
    assert first.returncode == 0, first.stderr
    assert [m.body for m in smtp.to("alice@agency.example")] == [
        "Follow up on Acme — Site (Proposal sent, 20 days quiet)",
        "Acme — Site has been in Proposal sent for 33 days",
    ]
    assert webhook.messages == ["Acme — Site has been in Proposal sent for 33 days"]
    assert load(root, DEAL + ".yaml")["tags"] == ["hot"]  # 17 days to close_date
    assert smtp.to("bruno@agency.example") == []  # Bolt: quiet for 2 days only
    # the same run again, and a day later: nothing new
    assert run(root, "remind").stdout == ""
    assert run(root, "remind", "--now", "2026-11-24T09:00").stdout == ""
    assert len(smtp.mails) == 2 and len(webhook.posts) == 1
    # a week later the follow-up repeats; the aging alert does not (same episode)
    assert run(root, "remind", "--now", "2026-11-30T09:00").returncode == 0
    assert [m.body for m in smtp.mails[2:]] == [
        "Follow up on Acme — Site (Proposal sent, 27 days quiet)",
        "Follow up on Bolt — SEO (Negotiations, 9 days quiet)",
    ]
    # a new stay in the list is a new episode
    assert run(root, "move", DEAL, "Negotiations").returncode == 0
    assert run(root, "move", DEAL, "Proposal sent").returncode == 0
    assert run(root, "remind", "--now", "2026-12-20T09:00").returncode == 0
    assert smtp.mails[-1].body == "Acme — Site has been in Proposal sent for 27 days"
    lines = (root / STATE).read_text(encoding="utf-8").splitlines()
    assert lines == sorted(
        lines,
        key=lambda line: [
            json.loads(line).get(k, "") for k in ("kind", "rule", "record", "event", "to")
        ],
    )


def test_dry_run_lists_what_would_be_sent_and_changes_nothing(make_ws, smtp, webhook):
    root = make_ws(REMINDERS)
    before = (root / DEAL).with_suffix(".yaml").read_bytes()
    result = run(root, "remind", "--dry-run", "--format", "json")
    assert result.returncode == 0, result.stderr
    planned = json.loads(result.stdout)
    assert {(p["rule"], p["to"]) for p in planned} == {
        ("Follow-up reminder", "alice"),
        ("Aging deal", "alice"),
        ("Aging deal", "channel:sales"),
        ("Closing soon", "action:1"),
    }
    assert {p["status"] for p in planned} == {"planned"}
    assert smtp.mails == [] and webhook.posts == []
    assert (root / DEAL).with_suffix(".yaml").read_bytes() == before
    assert not (root / STATE).exists()


def test_a_reminder_that_failed_when_smtp_went_down_is_sent_exactly_once_later(
    make_ws, smtp, webhook
):
    from crmcli.automations import notify

    root = make_ws(REMINDERS)
    real_deliver = notify.deliver
    calls = []

    def deliver_then_stop_the_server(url, title, body, allowed):
        calls.append(url)
        problem = real_deliver(url, title, body, allowed)
        if len(calls) == 1:
            smtp.stop()  # the SMTP server goes down after the first mail
        return problem

    with mock.patch.object(notify, "deliver", deliver_then_stop_the_server):
        first = run(root, "remind")
    assert first.returncode == 1
    assert "failed: Aging deal: opportunities/acme-site → alice" in first.stderr
    assert "127.0.0.1" in first.stderr
    assert [m.body for m in smtp.mails] == [
        "Follow up on Acme — Site (Proposal sent, 20 days quiet)"
    ]
    assert len(webhook.posts) == 1  # the channel still got its message
    smtp.start()
    second = run(root, "remind")
    assert second.returncode == 0, second.stderr
    assert run(root, "remind").returncode == 0
    assert [m.body for m in smtp.mails] == [
        "Follow up on Acme — Site (Proposal sent, 20 days quiet)",
        "Acme — Site has been in Proposal sent for 33 days",
    ]
    assert len(webhook.posts) == 1


def test_an_unreachable_channel_fails_clearly_and_the_others_still_go_out(make_ws, smtp):
    closed = f"json://127.0.0.1:{free_port()}/crm"
    root = make_ws(REMINDERS, channel=closed)
    result = run(root, "remind")
    assert result.returncode == 1
    assert (
        "failed: Aging deal: opportunities/acme-site → channel:sales: could not deliver to json://127.0.0.1"
        in result.stderr
    )
    assert len(smtp.to("alice@agency.example")) == 2
    sent_to = {(e["rule"], e["to"]) for e in state_lines(root) if e["kind"] == "reminder"}
    assert ("Aging deal", "channel:sales") not in sent_to
    assert ("Aging deal", "alice") in sent_to
    again = run(root, "remind")  # only the channel is tried again
    assert again.returncode == 1 and again.stderr.count("failed:") == 1
    assert len(smtp.mails) == 2


@pytest.mark.parametrize(
    "content, words",
    [
        ('{"kind":"reminder","rule":"Aging deal"\n', "not a JSON line"),
        ("<<<<<<< HEAD\n", "unresolved merge conflict"),
        (
            '{"kind":"reminder","rule":"Aging deal","record":"opportunities/acme-site","to":"alice","at":"2026-11-01T09:00:00+01:00"}\n',
            "“episode” is missing",
        ),
        (b"\xff\xfe garbage", "not UTF-8"),
    ],
    ids=["truncated line", "merge conflict", "missing field", "not text"],
)
def test_a_corrupted_state_file_is_reported_and_nothing_is_resent(
    make_ws, smtp, webhook, content, words
):
    root = make_ws(REMINDERS)
    state = root / STATE
    state.parent.mkdir(parents=True, exist_ok=True)
    good = '{"kind":"round_robin","rule":"x","position":1,"at":"2026-11-01T09:00:00+01:00"}\n'
    state.write_bytes(good.encode() + (content if isinstance(content, bytes) else content.encode()))
    before = state.read_bytes()
    result = run(root, "remind")
    assert result.returncode == 1
    assert f"{STATE}:2: the automation state cannot be read" in result.stderr
    assert words in result.stderr and "Nothing was sent" in result.stderr
    assert smtp.mails == [] and webhook.posts == []
    assert state.read_bytes() == before


def test_a_template_reaching_outside_the_sandbox_is_refused_before_anything_is_sent(make_ws, smtp):
    root = make_ws(
        REMINDERS.replace(
            "{{ record.name }} has been",
            "{{ record.name }}{{ cycler.__init__.__globals__ }} has been",
        )
    )
    result = run(root, "remind")
    assert result.returncode == 1
    assert "template-unsafe" not in result.stderr  # the message says it in words
    assert "outside the sandbox" in result.stderr and "automations.yaml:" in result.stderr
    assert smtp.mails == []


def test_the_sandbox_also_holds_when_the_template_is_rendered(make_ws):
    from crmcli.automations.notify import MessageTemplateError, compile_template, render

    template = compile_template("{{ f.mro() }}")  # no “_” for crm check to see
    with pytest.raises(MessageTemplateError):
        render(template, {"f": str})


def test_the_state_can_live_in_the_repository_for_a_scheduled_ci_job(make_ws, smtp, tmp_path):
    root = make_ws(REMINDERS, extra="state_file: automations-state.jsonl")
    assert run(root, "remind").returncode == 0
    assert (root / "automations-state.jsonl").is_file() and not (root / STATE).exists()
    sent = len(smtp.mails)
    # a fresh checkout elsewhere (as in CI): the state travels with the files
    import shutil

    checkout = tmp_path / "checkout"
    shutil.copytree(root, checkout, ignore=shutil.ignore_patterns(".crm"))
    assert run(checkout, "remind").returncode == 0
    assert len(smtp.mails) == sent
    assert run(checkout, "remind", "--state-file", "other.jsonl", "--dry-run").stdout != ""


# 4. crm automate --since REV: events of hand edits read from real commits, each handled once

EVENTS = """
    rules:
      - name: New deal
        on: created
        project: opportunities
        do:
          - notify: channel:sales
            message: "New: {{ record.name }} for {{ record.client_name }} ({{ moment }})"
      - name: Stage change
        on: moved
        project: opportunities
        to: [Negotiations]
        do:
          - notify: alice
            message: "{{ record.name }}: {{ from_list }} → {{ to_list }} ({{ moment }})"
      - name: Client details changed
        on: changed
        project: clients
        fields: [email]
        do:
          - notify: channel:sales
            message: "{{ record.name }} now writes from {{ record.email }}"
"""


def commit_as(root: Path, author: str, when: str, message: str) -> None:
    email = f"{author.lower()}@agency.example"
    env = {
        "GIT_AUTHOR_NAME": author,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_COMMITTER_NAME": author,
        "GIT_COMMITTER_EMAIL": email,
        "GIT_AUTHOR_DATE": when,
        "GIT_COMMITTER_DATE": when,
    }
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message, **env)


def repository(make_ws, rules: str) -> Path:
    root = make_ws(rules, **{".gitignore": ".crm/\n"})
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Alice Martin")
    git(root, "config", "user.email", "alice@agency.example")
    commit_as(root, "Alice", "2026-11-01T09:00:00+01:00", "initial")
    return root


def test_automate_runs_the_rules_once_for_hand_edits_by_several_authors(make_ws, smtp, webhook):
    root = repository(make_ws, EVENTS)
    write_files(
        root, {"opportunities/bolt-app.yaml": "name: Bolt — App\nlist: Lead\nclient: bolt\n"}
    )
    commit_as(root, "Bruno", "2026-11-20T10:00:00+01:00", "new deal")
    deal = root / (DEAL + ".yaml")
    deal.write_text(
        deal.read_text(encoding="utf-8").replace("list: Proposal sent", "list: Negotiations"),
        encoding="utf-8",
    )
    commit_as(root, "Olga", "2026-11-21T15:30:00+01:00", "Acme moves on")
    client = root / "clients/acme.yaml"
    client.write_text(
        client.read_text(encoding="utf-8").replace("contact@", "hello@"), encoding="utf-8"
    )
    (root / "clients/bolt.yaml").write_text(
        "name: Bolt\nlist: Clients\nregion: Lyon\n", encoding="utf-8"
    )
    commit_as(root, "Alice", "2026-11-22T08:00:00+01:00", "addresses")

    first = run(root, "automate", "--since", "HEAD~3")
    assert first.returncode == 0, first.stderr
    assert webhook.messages == [
        "New: Bolt — App for Bolt (20 nov. 2026, 10:00:00)",
        "Acme now writes from hello@acme.example",
    ]
    assert [m.body for m in smtp.mails] == [
        "Acme — Site: Proposal sent → Negotiations (21 nov. 2026, 15:30:00)"
    ]
    again = run(root, "automate", "--since", "HEAD~3")
    assert again.returncode == 0 and again.stdout == ""
    assert len(webhook.posts) == 2 and len(smtp.mails) == 1
    assert run(root, "automate", "--since", "no-such-rev").returncode == 1


def test_an_edit_whose_rules_ran_at_once_is_not_handled_again_from_git(make_ws, smtp):
    root = repository(make_ws, EVENTS)
    assert run(root, "move", DEAL, "Negotiations", "--commit").returncode == 0
    assert len(smtp.mails) == 1
    result = run(root, "automate", "--since", "HEAD~1")
    assert result.returncode == 0, result.stderr
    assert len(smtp.mails) == 1


def test_a_notification_that_failed_during_an_edit_is_retried_by_automate(make_ws, smtp):
    root = repository(make_ws, EVENTS)
    smtp.stop()
    result = run(root, "move", DEAL, "Negotiations", "--commit")
    assert result.returncode == 0  # the edit is written and committed
    assert "could not reach alice" in result.stderr
    assert load(root, DEAL + ".yaml")["list"] == "Negotiations"
    smtp.start()
    assert run(root, "automate", "--since", "HEAD~1").returncode == 0
    assert run(root, "automate", "--since", "HEAD~1").returncode == 0
    assert [m.body.split(" (")[0] for m in smtp.mails] == [
        "Acme — Site: Proposal sent → Negotiations"
    ]


# 5. time in list and since update: history, else git, else file dates


def test_time_in_list_comes_from_history_else_git_else_the_file_date(make_ws, tmp_path):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from crmcli.core.loader import Loader
    from crmcli.git.timeline import Timeline

    paris = ZoneInfo("Europe/Paris")
    root = repository(make_ws, EVENTS)
    deal = root / "opportunities/bolt-app.yaml"
    deal.write_text("name: Bolt — App\nlist: Lead\nclient: bolt\n", encoding="utf-8")
    commit_as(root, "Bruno", "2026-11-02T10:00:00+01:00", "new")
    deal.write_text("name: Bolt — App\nlist: Negotiations\nclient: bolt\n", encoding="utf-8")
    commit_as(root, "Bruno", "2026-11-10T10:00:00+01:00", "moved by hand")
    deal.write_text(
        "name: Bolt — App\nlist: Negotiations\nclient: bolt\namount: 5\n", encoding="utf-8"
    )
    commit_as(root, "Olga", "2026-11-12T10:00:00+01:00", "amount")
    loose = root / "opportunities/loose.yaml"  # never committed
    loose.write_text("name: Loose\nlist: Lead\nclient: bolt\n", encoding="utf-8")
    os.utime(loose, (datetime(2026, 11, 5, tzinfo=paris).timestamp(),) * 2)

    records = Loader(root).load().projects["opportunities"].records
    times = Timeline(root, paris)
    assert times.entered_list(records["acme-site"]) == datetime(2026, 10, 20, 16, 40, tzinfo=paris)
    assert times.entered_list(records["bolt-app"]) == datetime(2026, 11, 10, 10, tzinfo=paris)
    assert times.last_update(records["bolt-app"]) == datetime(2026, 11, 12, 10, tzinfo=paris)
    assert times.entered_list(records["loose"]) == datetime(2026, 11, 5, tzinfo=paris)
    assert times.last_update(records["acme-site"]) == datetime(2026, 11, 2, 10, tzinfo=paris)
    times.close()


def test_an_edit_is_written_even_when_automations_yaml_is_broken(make_ws, webhook):
    root = make_ws(STAGE_CHANGE.replace("to: [Negotiations, Won]", "to: [Negociations]"))
    result = run(root, "move", DEAL, "Negotiations")
    assert result.returncode == 0
    assert "no automation ran: automations.yaml has errors" in result.stderr
    assert "automations.yaml:5:" in result.stderr and "Negociations" in result.stderr
    assert load(root, DEAL + ".yaml")["list"] == "Negotiations"
    assert webhook.posts == []


def test_secrets_in_urls_come_from_the_environment(make_ws, webhook):
    root = make_ws(STAGE_CHANGE, channel="json://127.0.0.1:${CRM_HOOK_PORT}/crm")
    assert [p for p in check(root).problems if p.path == "crm.yaml"] == []
    result = run(root, "move", DEAL, "Negotiations")
    assert "needs the environment variable CRM_HOOK_PORT" in result.stderr
    assert webhook.posts == []
    assert run(root, "move", DEAL, "Won", CRM_HOOK_PORT=str(webhook.port)).returncode == 0
    assert webhook.messages[0].startswith("Acme — Site: Negotiations → Won")


def test_automate_handles_two_moves_of_one_deal_in_two_commits(make_ws, smtp):
    root = repository(make_ws, EVENTS)
    deal = root / (DEAL + ".yaml")
    for when, (old, new) in zip(
        ("2026-11-20T10:00:00+01:00", "2026-11-21T10:00:00+01:00", "2026-11-22T10:00:00+01:00"),
        (("Proposal sent", "Negotiations"), ("Negotiations", "Lead"), ("Lead", "Negotiations")),
        strict=True,
    ):
        deal.write_text(
            deal.read_text(encoding="utf-8").replace(f"list: {old}", f"list: {new}"),
            encoding="utf-8",
        )
        commit_as(root, "Olga", when, f"{old} → {new}")
    assert run(root, "automate", "--since", "HEAD~3").returncode == 0
    assert [m.body for m in smtp.mails] == [
        "Acme — Site: Proposal sent → Negotiations (20 nov. 2026, 10:00:00)",
        "Acme — Site: Lead → Negotiations (22 nov. 2026, 10:00:00)",
    ]


def test_the_round_robin_turn_kept_in_the_repository_is_committed_with_the_edit(make_ws):
    rules = ASSIGN.format(strategy="round_robin", among="[alice, bruno]", extra="")
    root = make_ws(rules, extra="state_file: automations-state.jsonl", **{".gitignore": ".crm/\n"})
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "alice@agency.example")
    git(root, "config", "user.name", "Alice Martin")
    commit_as(root, "Alice", "2026-11-01T09:00:00+01:00", "initial")
    for name in ("One", "Two"):
        result = run(root, "add", "opportunities", name, "--set", "client=acme", "--commit")
        assert result.returncode == 0, result.stderr
    assert git(root, "status", "--porcelain") == ""
    files = git(root, "show", "--name-only", "--format=", "HEAD").split()
    assert sorted(files) == ["automations-state.jsonl", "opportunities/two.yaml"]
    [turn] = [e for e in state_lines(root, "automations-state.jsonl") if e["kind"] == "round_robin"]
    assert turn["position"] == 0 and load(root, "opportunities/two.yaml")["assignee"] == "bruno"


def test_check_reports_a_notification_url_apprise_cannot_use_at_its_line(make_ws):
    root = make_ws(STAGE_CHANGE, channel="nope://hooks.example/crm")
    [problem] = [p for p in check(root).problems if p.code == "bad-notify-url"]
    lines = (root / "crm.yaml").read_text(encoding="utf-8").splitlines()
    assert (problem.path, lines[problem.line - 1].strip()) == (
        "crm.yaml",
        'sales: "nope://hooks.example/crm"',
    )
    assert "not a notification URL that apprise understands" in problem.message
