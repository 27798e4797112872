"""Issue 13 point 2: a stage-change notification whose delivery failed during `crm move` is
kept pending in the automations state (not only in git) and delivered by the next `crm remind`
or `crm automate`, exactly once — against real receivers on loopback that answer 500, answer
later than the client's timeout, are down (closed port), and an aiosmtpd server that is down
then up."""

from __future__ import annotations

from . import test_automations
from .automation_fixtures import Webhook, free_port
from .test_automations import DEAL, git, repository, run, state_lines

# the fixtures of the automation tests: receivers on loopback, workspaces
make_ws, smtp, webhook = test_automations.make_ws, test_automations.smtp, test_automations.webhook

STAGE_CHANGE = """
    rules:
      - name: Stage change
        on: moved
        project: opportunities
        to: [Negotiations]
        do:
          - notify: {target}
            message: "{{{{ record.name }}}}: {{{{ from_list }}}} → {{{{ to_list }}}}"
"""
MESSAGE = "Acme — Site: Proposal sent → Negotiations"


def rules(target: str) -> str:
    return STAGE_CHANGE.format(target=target)


def kinds(root) -> list[str]:
    return [line["kind"] for line in state_lines(root)]


def move_while_failing(root) -> None:
    moved = run(root, "move", DEAL, "Negotiations")
    assert moved.returncode == 0, moved.stderr  # the edit lands
    assert "could not reach channel:sales" in moved.stderr
    assert "the notification is pending" in moved.stderr
    [pending] = [line for line in state_lines(root) if line["kind"] == "pending"]
    assert pending["trigger"]["from"] == "Proposal sent"
    assert pending["trigger"]["to"] == "Negotiations"
    assert "record" not in pending["trigger"] and MESSAGE not in str(pending)


def retried_once(root, receiver: Webhook) -> None:
    sent = run(root, "remind")
    assert sent.returncode == 0, sent.stderr
    assert "sent: Stage change: opportunities/acme-site → channel:sales" in sent.stdout
    assert receiver.messages == [MESSAGE]
    assert "pending" not in kinds(root) and "event" in kinds(root)
    again = run(root, "remind")
    assert again.returncode == 0 and again.stdout == ""
    assert receiver.messages == [MESSAGE]


def test_a_webhook_that_answers_500_gets_the_notification_once_it_is_fixed(make_ws, webhook):
    root = make_ws(rules("channel:sales"))
    webhook.status = 500
    move_while_failing(root)
    failed = run(root, "remind")  # still broken: reported, kept
    assert failed.returncode == 1
    assert "failed: Stage change: opportunities/acme-site → channel:sales" in failed.stderr
    assert kinds(root).count("pending") == 1
    webhook.status = 200
    retried_once(root, webhook)


def test_a_slow_webhook_times_out_as_configured_in_the_url_and_is_retried(make_ws, webhook):
    # apprise's read timeout (rto, 4 s by default) is a parameter of the channel's URL
    root = make_ws(rules("channel:sales"), channel=webhook.url + "?rto=0.3&cto=0.3")
    webhook.delay = 1.0
    move_while_failing(root)
    webhook.delay = 0.0
    retried_once(root, webhook)


def test_a_webhook_that_is_down_gets_the_notification_when_it_is_up(make_ws):
    receiver = Webhook(port=free_port())
    root = make_ws(rules("channel:sales"), channel=receiver.url)
    move_while_failing(root)
    assert run(root, "remind", "--dry-run").stdout.startswith("would do: Stage change")
    receiver.start()
    try:
        retried_once(root, receiver)
    finally:
        receiver.stop()


def test_an_smtp_server_down_then_up_delivers_exactly_once_whichever_command_runs(make_ws, smtp):
    root = repository(make_ws, rules("alice"))
    smtp.stop()
    moved = run(root, "move", DEAL, "Negotiations", "--commit")
    assert moved.returncode == 0 and "could not reach alice" in moved.stderr
    assert run(root, "remind").returncode == 1  # still down: failed, kept pending
    assert kinds(root).count("pending") == 1
    smtp.start()
    assert run(root, "remind").returncode == 0
    assert run(root, "automate", "--since", "HEAD~1").returncode == 0  # git's view of it
    assert run(root, "remind").returncode == 0
    assert [m.body for m in smtp.to("alice@agency.example")] == [MESSAGE]
    assert "pending" not in kinds(root)


def test_automate_delivers_what_is_pending_too(make_ws, webhook):
    root = repository(make_ws, rules("channel:sales"))
    webhook.status = 500
    move_while_failing(root)
    webhook.status = 200
    git(root, "commit", "-qam", "moved")
    assert run(root, "automate", "--since", "HEAD").returncode == 0  # no commit to read
    assert webhook.messages == [MESSAGE]


def test_a_pending_notification_of_a_deleted_record_is_dropped_and_said(make_ws, webhook):
    root = make_ws(rules("channel:sales"))
    webhook.status = 500
    move_while_failing(root)
    (root / f"{DEAL}.yaml").unlink()
    webhook.status = 200
    result = run(root, "remind")
    assert result.returncode == 0, result.stderr
    assert "skipped: Stage change: opportunities/acme-site → channel:sales" in result.stdout
    assert "the record no longer exists" in result.stdout
    assert "pending" not in kinds(root) and webhook.posts == []
    assert run(root, "remind").stdout == ""
