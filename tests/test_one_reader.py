"""One reader: the acting member decides what every reading command shows.

A junior of the sample workspace (karim: cost and profit hidden, and margin with them, since it
is computed from profit) runs every reading command — by $CRM_USER and by git's user.email —
and no hidden value may appear in any output or file, in any of the forms a number takes.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from .conftest import SAMPLE, crm
from .repos import Repo

DEAL = "opportunities/agence-pixel-nord-refonte-du-site"
COMMITTED_COST, WORKING_COST = 4321.5, 5432.25  # amount 23000: profits 18678.5, 17567.75
HIDDEN_VALUES = (COMMITTED_COST, 23000 - COMMITTED_COST, WORKING_COST, 23000 - WORKING_COST)
ENV = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", "CRM_NOW": "2026-11-23T10:00"}
RULES = """\
rules:
  - name: Margin watch
    on: schedule
    project: opportunities
    when: "name == 'Agence Pixel Nord — Refonte du site'"
    do:
      - notify: assignee
        message: "{{ record.name }}: {{ record.cost }} / {{ formatted.profit }}"
      - notify: channel:sales
        message: "{{ record.name }} → {{ formatted.cost }} ({{ record.margin }} %)"
"""
WIDGETS = """\
  - {type: stat, title: Total profit, measure: sum(profit)}
  - {type: table, title: Deal costs, columns: [name, amount, cost, profit], sort: -amount}
"""


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(root), *args], check=True, capture_output=True, env={**os.environ, **ENV}
    )


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample workspace in git: the deal's cost committed once, then changed again in
    the working tree; a rule whose messages name the hidden fields; widgets that use them."""
    root = tmp_path_factory.mktemp("reader") / "ws"
    shutil.copytree(SAMPLE, root)
    (root / "automations.yaml").write_text(RULES, encoding="utf-8")
    with (root / "dashboards" / "sales.yaml").open("a", encoding="utf-8") as dashboard:
        dashboard.write(WIDGETS)
    repo = Repo(root, root)
    git(root, "config", "user.email", "alice@atelier.example")
    repo.commit("sample")
    deal = root / f"{DEAL}.yaml"
    deal.write_text(deal.read_text().replace("cost: 12990", f"cost: {COMMITTED_COST}"))
    git(root, "commit", "-qam", "new estimate")
    deal.write_text(deal.read_text().replace(f"cost: {COMMITTED_COST}", f"cost: {WORKING_COST}"))
    return root


def forms(value: float) -> list[str]:
    """A number as any output may write it, once spaces are taken out: 4321.5, 4321,50…"""
    whole, _dot, cents = f"{value:.2f}".partition(".")
    found = {f"{whole}.{cents}", f"{whole},{cents}", repr(value), repr(value).replace(".", ",")}
    if cents == "00":
        found |= {whole}
    return sorted(found)


def assert_no_hidden_value(text: str, where: str) -> None:
    squeezed = re.sub(r"[\s\u00a0\u202f']", "", text)
    for value in HIDDEN_VALUES:
        for form in forms(value):
            assert form not in squeezed, f"{where} shows {form}"


def as_junior(sample: Path, how: str, *args: str | Path) -> str:
    """Run crm as karim, named by $CRM_USER or by git's user.email; its stdout and stderr."""
    env = {**ENV, "CRM_USER": "karim" if how == "env" else ""}
    if how == "git":
        git(sample, "config", "user.email", "karim@atelier.example")
    try:
        result = crm(*args, cwd=sample, env=env)
    finally:
        git(sample, "config", "user.email", "alice@atelier.example")
    assert result.returncode == 0, (args, result.stderr)
    return result.stdout + result.stderr


@pytest.mark.parametrize("how", ["env", "git"])
def test_a_junior_sees_no_hidden_value_in_any_reading_command(sample, how, tmp_path):
    texts = {
        "show": as_junior(sample, how, "show", DEAL),
        "show json": as_junior(sample, how, "show", DEAL, "--format", "json"),
        "list": as_junior(sample, how, "list", "opportunities", "-c", "id,name,amount"),
        "list json": as_junior(sample, how, "list", "opportunities", "--format", "json"),
        "list csv": as_junior(sample, how, "list", "opportunities", "--format", "csv"),
        "diff": as_junior(sample, how, "diff"),
        "diff json": as_junior(sample, how, "diff", "HEAD~1", "--format", "json"),
        "log": as_junior(sample, how, "log", DEAL),
        "log json": as_junior(sample, how, "log", DEAL, "--format", "json"),
        "remind": as_junior(sample, how, "remind", "--dry-run", "--state-file", tmp_path / "s"),
        "export csv": as_junior(sample, how, "export", "opportunities"),
        "export json": as_junior(sample, how, "export", "--format", "json"),
    }
    assert "Margin watch" in texts["remind"] and "(hidden)" in texts["remind"]
    assert "23" in texts["show"]  # the amount is read-only for juniors, not hidden
    as_junior(sample, how, "export", "--format", "xlsx", "--out", tmp_path / "x.xlsx")
    as_junior(sample, how, "export", "--format", "sqlite", "--out", tmp_path / "x.sqlite")
    texts["xlsx"] = _xlsx_text(tmp_path / "x.xlsx")
    texts["sqlite"] = "\n".join(sqlite3.connect(tmp_path / "x.sqlite").iterdump())
    as_junior(sample, how, "dashboard", "sales", "--out", tmp_path / "dash")
    texts["dashboard"] = (tmp_path / "dash" / "sales.html").read_text(encoding="utf-8")
    assert "Total profit" in texts["dashboard"]  # named, with why it is left out
    for where, text in texts.items():
        assert_no_hidden_value(text, where)
        if where != "dashboard":  # which names a widget it leaves out, and why
            for field in ("cost", "profit", "margin"):
                found = re.search(rf"(?<![\w-]){field}(?![\w-])", text.replace("Margin watch", ""))
                assert not found, (where, field)


def _xlsx_text(path: Path) -> str:
    from openpyxl import load_workbook

    book = load_workbook(path)
    return "\n".join(
        repr(cell.value) for sheet in book.worksheets for row in sheet.iter_rows() for cell in row
    )


def test_the_data_behind_a_juniors_charts_has_no_hidden_field(sample, monkeypatch):
    from crmcli.reports.report import ReportRequest, dashboard_data

    monkeypatch.setenv("CRM_NOW", ENV["CRM_NOW"])
    monkeypatch.setenv("CRM_USER", "karim")
    data = dashboard_data(sample, ReportRequest("sales"))
    assert data.role == "junior"
    assert_no_hidden_value(repr(data.figures), "dashboard data")
    monkeypatch.setenv("CRM_USER", "alice")
    assert "cost" in repr(dashboard_data(sample, ReportRequest("sales")).figures)


def test_the_manager_sees_what_the_junior_does_not(sample):
    shown = crm("show", DEAL, cwd=sample, env={**ENV, "CRM_USER": "alice"})
    assert shown.returncode == 0, shown.stderr
    assert "5432,25" in re.sub(r"\s", "", shown.stdout)
    exported = crm("export", "opportunities", cwd=sample, env={**ENV, "CRM_USER": "alice"})
    assert "cost" in exported.stdout.splitlines()[0]


@pytest.mark.parametrize(
    "args",
    [
        ("show", DEAL),
        ("list", "opportunities"),
        ("export", "opportunities"),
        ("dashboard", "sales"),
        ("diff",),
        ("log", DEAL),
    ],
)
def test_role_only_narrows_what_the_member_may_see(sample, args):
    refused = crm(*args, "--role", "manager", cwd=sample, env={**ENV, "CRM_USER": "karim"})
    assert refused.returncode == 1, refused.stderr
    assert "--role can only narrow what you may see" in refused.stderr
    assert "Traceback" not in refused.stderr
    narrowed = crm(*args, "--role", "junior", "--as", "alice", cwd=sample, env=ENV)
    assert narrowed.returncode == 0, narrowed.stderr
    assert_no_hidden_value(narrowed.stdout, " ".join(args))


def test_an_unknown_role_is_named_with_a_hint(sample):
    refused = crm("list", "opportunities", "--role", "juniro", cwd=sample, env=ENV)
    assert refused.returncode == 2
    assert "did you mean “junior”" in refused.stderr


def test_a_set_warning_does_not_echo_a_hidden_value(sample):
    deal = sample / f"{DEAL}.yaml"
    before = deal.read_text()
    deal.write_text(before.replace(f"cost: {WORKING_COST}", "cost: 98765 euros"))
    try:
        junior = crm("set", DEAL, "confidence=4", cwd=sample, env={**ENV, "CRM_USER": "karim"})
        manager = crm("set", DEAL, "confidence=5", cwd=sample, env={**ENV, "CRM_USER": "alice"})
    finally:
        deal.write_text(before)
    assert junior.returncode == 0, junior.stderr
    assert "98765" not in junior.stdout + junior.stderr
    assert "98765" in manager.stderr  # the manager is told of the broken cost


def test_json_of_show_for_a_junior_has_no_hidden_key(sample):
    shown = crm("show", DEAL, "--format", "json", cwd=sample, env={**ENV, "CRM_USER": "karim"})
    fields = json.loads(shown.stdout)["fields"]
    assert "amount" in fields and not {"cost", "profit", "margin"} & set(fields)


def test_setting_a_hidden_field_does_not_echo_its_old_value(workspace):
    """In the base test workspace juniors (bruno) may set the cost they may not see."""
    root = workspace()
    env = {**ENV, "CRM_USER": "bruno"}
    changed = crm("set", "opportunities/acme-website", "cost=8000", cwd=root, env=env)
    assert changed.returncode == 0, changed.stderr
    output = re.sub(r"\s", "", changed.stdout + changed.stderr)
    assert "8000,00" in output and "7000" not in output


def test_the_git_view_of_a_record_leaves_out_what_the_reader_may_not_see(sample, monkeypatch):
    from crmcli.review.gitsetup import semantic_view

    raw = (sample / f"{DEAL}.yaml").read_bytes()
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("CRM_USER", "karim")
    junior = semantic_view(sample, "opportunities", raw)
    assert "Agence Pixel Nord" in junior
    assert_no_hidden_value(junior, "git textconv")
    monkeypatch.setenv("CRM_USER", "alice")
    assert "5432,25" in re.sub(r"\s", "", semantic_view(sample, "opportunities", raw))
