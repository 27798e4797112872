"""The workspace of the salesperson's-day tests (issue 19): three open deals and a won one,
two members of whom the junior may not see `cost`, written in the test suite's own words."""

from __future__ import annotations

import os
from pathlib import Path

from . import repos
from .conftest import write_files

NOW = "2026-12-01T09:30:00+01:00"  # a Tuesday morning in Paris
ENV = {
    "CRM_NOW": NOW,
    "CRM_USER": "alice",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "LC_ALL": "C.UTF-8",
}

FILES: dict[str, str] = {
    ".gitignore": ".crm/\n",
    "crm.yaml": """
        name: Test Agency
        locale: fr_FR
        currency: EUR
        timezone: Europe/Paris
        members:
          alice: {name: Alice Martin, email: alice@agency.example, role: manager}
          bruno: {name: Bruno Petit, email: bruno@agency.example, role: junior}
        roles:
          manager: {}
          junior: {hidden: [opportunities.cost, opportunities.next_step]}
    """,
    "clients/_project.yaml": """
        name: Clients
        record_name: Company
        lists: [Clients]
        defaults: {remove: [activities, next_step]}
    """,
    "clients/acme.yaml": """
        name: Acme
        list: Clients
    """,
    "opportunities/_project.yaml": """
        name: Opportunities
        record_name: Deal
        lists:
          - {name: Lead, probability: 0.1}
          - {name: Proposal sent, probability: 0.5, max_days: 14}
          - {name: Won, outcome: won}
          - {name: Lost, outcome: lost}
        tags: [website, seo]
        fields:
          amount: {type: currency}
          cost: {type: currency}
          client: {type: reference, project: clients}
          close_date: {type: date}
    """,
    # A comment and a history, so a note must leave them alone.
    "opportunities/acme-website.yaml": """
        # Website redesign for Acme
        name: Acme — Website
        list: Proposal sent
        assignee: alice
        client: acme
        amount: 12000
        cost: 7000
        close_date: 2026-12-04
        history:
          - {list: Lead, at: 2026-10-01T09:00:00+02:00, by: alice}
          - {list: Proposal sent, at: 2026-10-20T16:40:00+02:00, by: alice}
    """,
    "opportunities/globex-seo.yaml": """
        name: Globex — SEO audit
        list: Lead
        assignee: bruno
        client: acme
        amount: 4500
        cost: 1000
        next_step: {what: Call the CTO, due: 2026-11-28, by: bruno}
    """,
    "opportunities/initech-app.yaml": """
        name: Initech — Mobile app with a long name that will not fit on a card
        list: Lead
        assignee: alice
        client: acme
        amount: 30000
        next_step: {what: Send the revised quote, due: 2026-12-02, by: alice}
        activities:
          - {type: call, at: 2026-11-20T15:00:00+01:00, by: alice, text: First call}
    """,
    "opportunities/umbrella-logo.yaml": """
        name: Umbrella — Logo
        list: Won
        assignee: alice
        client: acme
        amount: 2000
    """,
}


def day_repo(root: Path, extra: dict[str, str | None] | None = None) -> Path:
    """The workspace in a fresh git repository, everything committed."""
    root.mkdir(parents=True, exist_ok=True)
    write_files(root, {**FILES, **(extra or {})})
    repos.git(root, "init", "-q", "-b", "main")
    repos.git(root, "config", "user.email", "alice@agency.example")
    repos.git(root, "config", "user.name", "Alice Martin")
    repos.git(root, "config", "commit.gpgsign", "false")
    repos.commit(root, "start", when="2026-11-20T09:00:00+01:00")
    return root


def worktree_diff(root: Path) -> str:
    """`git diff` without its `index` line (blob ids differ from run to run)."""
    text = repos.git(root, "diff", "--no-color", "--no-ext-diff")
    return "".join(line for line in text.splitlines(keepends=True) if not line.startswith("index "))
