"""Bounded templates (issue 13, point 4): a rule's message that asks for a huge number, a
billion repetitions, str.format or endless recursion is a `crm check` problem at its line
where that can be seen in the text, and a failed notification (never a hang, never a
traceback) when it renders — the edit that triggered it lands all the same."""

from __future__ import annotations

import time

import pytest

from .conftest import check, load
from .test_automations import DEAL, REMINDERS, STAGE_CHANGE, make_ws, run, smtp, webhook

__all__ = ["make_ws", "smtp", "webhook"]  # fixtures shared with test_automations

MESSAGE = (
    "{{ record.name }}: {{ from_list }} → {{ to_list }} ({{ formatted.profit }} profit, {{ link }})"
)

SEEN_BY_CHECK = {
    "constant power": ("{{ 10 ** 300000000 }}", "power"),
    "repetition": ("{{ 'x' * 10**9 }}", "repeats a text"),
    "format_map": ("{{ '{0[name]}'.format_map(record) }}", "format_map"),
    "huge width": ("{{ record.name|center(1000000000) }}", "1000000000"),
    "percent width": ("{{ '%0999999999d' % 1 }}", "width"),
}

# what only rendering shows: the record's values make it large, or it never ends
SEEN_WHEN_RENDERED = {
    "recursive macro": ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "macros more than"),
    "doubling text": (
        "{% macro d(s) %}{{ d(s ~ s) }}{% endmacro %}{{ d(record.name) }}",
        "text longer than",
    ),
    "endless loops": (
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
        "longer than",
    ),
    "value repeated": ("{{ record.name * record.amount * 1000 }}", "repeats a text"),
}


@pytest.mark.parametrize("case", SEEN_BY_CHECK, ids=list(SEEN_BY_CHECK))
def test_check_reports_a_template_beyond_the_limits_at_its_line(make_ws, case):
    template, words = SEEN_BY_CHECK[case]
    root = make_ws(STAGE_CHANGE.replace(MESSAGE, template.replace('"', '\\"')))
    started = time.monotonic()
    result = run(root, "check")
    assert time.monotonic() - started < 30
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    problems = [p for p in check(root).problems if p.path == "automations.yaml"]
    assert len(problems) == 1, problems
    lines = (root / "automations.yaml").read_text(encoding="utf-8").splitlines()
    assert lines[problems[0].line - 1].strip().startswith("message:")
    assert words in problems[0].message
    assert f"automations.yaml:{problems[0].line}:" in result.stdout


@pytest.mark.parametrize("case", SEEN_WHEN_RENDERED, ids=list(SEEN_WHEN_RENDERED))
def test_a_runaway_message_fails_and_the_move_lands(make_ws, webhook, case):
    template, words = SEEN_WHEN_RENDERED[case]
    root = make_ws(STAGE_CHANGE.replace(MESSAGE, template.replace('"', '\\"')))
    assert [p for p in check(root).problems if p.path == "automations.yaml"] == []
    started = time.monotonic()
    result = run(root, "move", DEAL, "Negotiations")
    assert time.monotonic() - started < 20
    assert result.returncode == 0, result.stderr
    assert load(root, DEAL + ".yaml")["list"] == "Negotiations"
    assert "Traceback" not in result.stderr
    assert "could not reach channel:sales" in result.stderr and words in result.stderr
    assert webhook.posts == []


def test_remind_reports_the_runaway_reminder_as_failed_and_sends_the_others(make_ws, smtp):
    runaway = "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}"
    rules = REMINDERS.replace(
        "{{ record.name }} has been in {{ record.list }} for {{ days_in_list }} days", runaway
    )
    root = make_ws(rules)
    result = run(root, "remind")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "Aging deal" in result.stderr and "macros more than" in result.stderr
    assert next(m.body for m in smtp.to("alice@agency.example")).startswith("Follow up on")


def test_ordinary_arithmetic_and_repetition_still_render():
    from crmcli.automations.notify import compile_template, render

    template = compile_template("{{ 2 ** 10 }} {{ '-' * 3 }} {{ '%05d' % 42 }} {{ n * 1.5 }}")
    assert render(template, {"n": 4}) == "1024 --- 00042 6.0"


# ${NAME} in notification URLs: only the allow-list (CRM_* by default, or env: in crm.yaml)


def test_a_variable_outside_the_allow_list_is_a_check_error_and_is_never_sent(make_ws, webhook):
    url = f"json://127.0.0.1:{webhook.port}/crm?secret=${{AWS_SECRET_ACCESS_KEY}}"
    root = make_ws(STAGE_CHANGE, channel=url)
    problems = [p for p in check(root).problems if p.path == "crm.yaml"]
    assert [p.code for p in problems] == ["bad-notify-url"]
    assert "AWS_SECRET_ACCESS_KEY" in problems[0].message and problems[0].is_error
    result = run(root, "move", DEAL, "Negotiations", AWS_SECRET_ACCESS_KEY="hunter2")
    assert result.returncode == 0
    assert "AWS_SECRET_ACCESS_KEY" in result.stderr
    assert webhook.posts == []  # not even with the variable left unexpanded


def test_env_in_crm_yaml_names_the_variables_urls_may_read(make_ws, webhook):
    url = "json://127.0.0.1:${HOOK_PORT}/crm"
    root = make_ws(STAGE_CHANGE, channel=url, extra="env: [HOOK_*]")
    assert [p for p in check(root).problems if p.path == "crm.yaml"] == []
    result = run(root, "move", DEAL, "Negotiations", HOOK_PORT=str(webhook.port))
    assert result.returncode == 0, result.stderr
    assert len(webhook.posts) == 1
    root = make_ws(STAGE_CHANGE, channel="json://127.0.0.1:${CRM_PORT}/crm", extra="env: [HOOK_*]")
    assert "CRM_PORT" in " ".join(p.message for p in check(root).problems)
