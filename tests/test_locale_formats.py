"""Issue 15, point 3: locale formats wherever figures and moments are shown: dashboards in
French and Russian, `crm log` commit times in the workspace's time zone."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import BASE_FILES, crm
from .repos import git

DASHBOARD = """
title: Test
period: {from: 2026-01-01, to: 2026-12-31}
widgets:
  - {type: stat, title: pipeline, project: opportunities, measure: sum(amount)}
  - {type: bar, title: by month, project: opportunities, measure: sum(amount),
     by: month(close_date)}
"""
SCHEMA = BASE_FILES["opportunities/_project.yaml"].rstrip(" ") + (
    "          close_date: {type: date}\n"
)
DEAL = "name: Big\nlist: Lead\nclient: acme\namount: {amount}\nclose_date: 2026-10-15\n"
ENV = {"CRM_USER": "alice", "CRM_NOW": "2026-11-23T12:00:00+01:00"}


def localised(workspace, locale: str, currency: str, timezone: str) -> Path:
    crm_yaml = (
        BASE_FILES["crm.yaml"]
        .replace("fr_FR", locale)
        .replace("EUR", currency)
        .replace("Europe/Paris", timezone)
    )
    return workspace(
        {
            "crm.yaml": crm_yaml,
            "opportunities/_project.yaml": SCHEMA,
            "opportunities/acme-website.yaml": DEAL.format(amount=12000.5),
            "dashboards/test.yaml": DASHBOARD,
        }
    )


def render(root: Path, out: Path) -> str:
    result = crm("-C", root, "dashboard", "test", "--out", out, env=ENV)
    assert result.returncode == 0, result.stderr
    return (out / "test.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("locale", "currency", "figure", "month"),
    [
        ("fr_FR", "EUR", "12\u202f000,50\xa0€", re.compile(r"oct\.? 2026")),
        ("ru_RU", "RUB", "12\xa0000,50\xa0₽", re.compile(r"(окт\.?|октябрь) 2026", re.I)),
    ],
)
def test_the_dashboard_shows_figures_and_months_in_the_locale(
    workspace, tmp_path, locale, currency, figure, month
):
    html = render(localised(workspace, locale, currency, "Europe/Paris"), tmp_path / "out")
    assert figure in html
    assert month.search(html), "no month name of the locale in the page"
    assert "12000.5" not in html and "12,000.50" not in html


def test_log_shows_commit_times_in_the_workspace_time_zone(workspace):
    root = localised(workspace, "ru_RU", "RUB", "Europe/Moscow")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(
        root,
        "-c",
        "user.name=Alice",
        "-c",
        "user.email=alice@agency.example",
        "commit",
        "-qm",
        "deal",
        when="2026-11-20T23:30:00+01:00",  # 01:30 on the 21st in Moscow
    )
    result = crm("-C", root, "log", "opportunities/acme-website", env=ENV)
    assert result.returncode == 0, result.stderr
    assert "21 нояб. 2026" in result.stdout and "01:30" in result.stdout, result.stdout
