"""Messages that echo values follow the one reader too: `crm check`, the merge driver and the
runner's outcomes tell a junior (karim: cost and profit hidden) that something is wrong with a
field they may not see, with its code and line, but never the value."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import SAMPLE, crm
from .repos import git

DEAL = "opportunities/agence-pixel-nord-refonte-du-site.yaml"
BAD_COST = "zq12990x"
ENV = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", "CRM_NOW": "2026-11-23T10:00"}
JUNIOR = {**ENV, "CRM_USER": "karim"}
HIDDEN_MESSAGE = "The value of a field you may not see is invalid."
RULES = """\
rules:
  - name: Cost watch
    on: schedule
    project: opportunities
    when: "name == 'Agence Pixel Nord — Refonte du site'"
    do:
      - notify: channel:sales
        message: "{{ record.name }} costs {{ record.cost }}"
"""


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """The sample workspace in a git repository."""
    root = tmp_path / "ws"
    shutil.copytree(SAMPLE, root)
    subprocess.run(["git", "init", "-q", str(root)], check=True, env={**os.environ, **ENV})
    return root


def with_bad_cost(root: Path) -> Path:
    deal = root / DEAL
    deal.write_text(
        deal.read_text(encoding="utf-8").replace("cost: 12990", f"cost: {BAD_COST}"),
        encoding="utf-8",
    )
    return root


def test_check_hides_an_invalid_hidden_value_from_a_junior_in_text(workspace):
    root = with_bad_cost(workspace)

    run = crm("-C", root, "check", env=JUNIOR)

    assert run.returncode == 1
    assert BAD_COST not in run.stdout + run.stderr
    assert f"{DEAL}:6:1: error[wrong-type]: {HIDDEN_MESSAGE}" in run.stdout
    assert "error[type-error]" in run.stdout  # profit, computed from the cost, failed too


def test_check_hides_an_invalid_hidden_value_from_a_junior_in_json(workspace):
    root = with_bad_cost(workspace)

    run = crm("-C", root, "check", "--format", "json", env=JUNIOR)

    problems = json.loads(run.stdout)
    assert BAD_COST not in run.stdout
    cost = next(p for p in problems if p["path"] == DEAL)
    assert (cost["code"], cost["line"], cost["message"]) == ("wrong-type", 6, HIDDEN_MESSAGE)
    assert cost["field"] == "opportunities.cost"
    assert all(p["message"] == HIDDEN_MESSAGE for p in problems)


@pytest.mark.parametrize("fmt", ["github", "sarif"])
def test_check_hides_the_value_in_annotations(workspace, fmt):
    root = with_bad_cost(workspace)

    run = crm("-C", root, "check", "--format", fmt, env=JUNIOR)

    assert BAD_COST not in run.stdout
    assert HIDDEN_MESSAGE in run.stdout


def test_a_manager_sees_the_invalid_value(workspace):
    root = with_bad_cost(workspace)

    run = crm("-C", root, "check", "--as", "alice", env=ENV)

    assert run.returncode == 1
    assert f"not “{BAD_COST}”" in run.stdout
    assert HIDDEN_MESSAGE not in run.stdout


def test_role_narrows_what_check_shows(workspace):
    root = with_bad_cost(workspace)

    run = crm("-C", root, "check", "--as", "alice", "--role", "junior", env=ENV)

    assert BAD_COST not in run.stdout
    assert HIDDEN_MESSAGE in run.stdout


def merge_cost(root: Path, tmp_path: Path, env: dict[str, str]) -> tuple[str, str]:
    """The merge driver on the deal, its cost changed to 14000 here and 15000 there;
    (what it says, the merged file)."""
    text = (root / DEAL).read_text(encoding="utf-8")
    sides = {}
    for name, cost in (("base", "12990"), ("ours", "14000"), ("theirs", "15000")):
        sides[name] = tmp_path / name
        sides[name].write_text(text.replace("cost: 12990", f"cost: {cost}"), encoding="utf-8")
    run = crm("-C", root, "git", "merge-driver", *sides.values(), DEAL, "7", cwd=root, env=env)
    assert run.returncode == 1
    return run.stderr, sides["ours"].read_text(encoding="utf-8")


def test_a_merge_conflict_on_a_hidden_field_names_no_value_for_a_junior(workspace, tmp_path):
    said, merged = merge_cost(workspace, tmp_path, JUNIOR)

    assert "cost was changed two ways; the values are not shown" in said
    for value in ("12990", "14000", "15000", "990", "000"):
        assert value not in said
    assert "<<<<<<<" in merged  # the file itself keeps both sides, as git's markers do


def test_a_merge_conflict_names_both_values_for_a_manager(workspace, tmp_path):
    said, _merged = merge_cost(workspace, tmp_path, {**ENV, "CRM_USER": "alice"})

    plain = said.replace("\u202f", " ").replace("\xa0", " ")
    assert "14 000,00 € here, 15 000,00 € on the other branch (it was 12 990,00 €)" in plain


def test_remind_reads_as_the_member_given_by_as(workspace, tmp_path):
    (workspace / "automations.yaml").write_text(RULES, encoding="utf-8")
    remind = ("-C", workspace, "remind", "--dry-run", "--state-file", tmp_path / "state")

    junior = crm(*remind, "--as", "karim", env=ENV)
    manager = crm(*remind, "--as", "alice", env=ENV)

    assert junior.returncode == 0, junior.stderr
    assert "Cost watch" in junior.stdout and "12990" not in junior.stdout
    assert "12990" in manager.stdout.replace(" ", "").replace(",", "").replace(".00", "")


def test_automate_runs_as_the_member_given_with_as(workspace):
    """--as reaches the runner: an unknown member is refused, a known one runs."""
    git(workspace, "add", "-A")
    git(workspace, "-c", "user.name=Alice", "-c", "user.email=a@x.example", "commit", "-qm", "ws")
    refused = crm("-C", workspace, "automate", "--since", "HEAD", "--as", "nobody", env=ENV)
    ran = crm("-C", workspace, "automate", "--since", "HEAD", "--as", "karim", "--dry-run", env=ENV)

    assert refused.returncode == 2 and "“nobody” is not a member" in refused.stderr
    assert ran.returncode == 0, ran.stderr
