"""A workspace with a lead form on clients, a `created` rule that assigns and announces, and the
real form server (uvicorn) on a free loopback port, in a thread of the test."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .automation_fixtures import Webhook, free_port
from .conftest import write_files

RESCAN = 0.2  # seconds between the served workspace's rescans in tests

CLIENTS = """
    name: Clients
    record_name: Company
    lists: [Prospects, Clients]
    form_list: Prospects
    tags: [possible-duplicate, startup]
    fields:
      email: {type: email, form: true, label: E-mail, placeholder: you@company.example}
      phone: {type: phone, form: true, label: Phone}
      region: {type: select, options: [Paris, Lyon], form: true, label: Region}
      budget: {type: currency, form: true, label: Budget, help: An estimate is fine.}
      start: {type: date, form: true, label: Start date}
      message: {type: long_text, form: true, label: Your project}
      secret_score: {type: number}
      opportunities: {type: referenced_by, from: opportunities.client}
"""


def rules(webhook: Webhook) -> dict[str, str]:
    return {
        "crm.yaml": f"""
            name: Test Agency
            locale: fr_FR
            currency: EUR
            timezone: Europe/Paris
            members:
              alice: {{name: Alice Martin, email: alice@agency.example, role: manager, region: Paris}}
              bruno: {{name: Bruno Petit, email: bruno@agency.example, role: manager, region: Lyon}}
            roles:
              manager: {{}}
            channels:
              sales: "{webhook.url}"
        """,
        "clients/_project.yaml": CLIENTS,
        "automations.yaml": """
            rules:
              - name: Assign new leads
                on: created
                project: clients
                do:
                  - assign: {strategy: round_robin, among: [alice, bruno]}
                  - notify: [channel:sales]
                    message: "New lead {{ record.name }} for {{ record.assignee }}"
        """,
    }


def lead_workspace(root: Path, webhook: Webhook) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    from .conftest import BASE_FILES

    write_files(root, {**BASE_FILES, **rules(webhook)})
    return root


@contextmanager
def form_server(root: Path, projects: list[str], **settings: Any) -> Iterator[str]:
    """`crm form serve` in this process: yields its base URL until the block ends."""
    import uvicorn

    from crmcli.form.app import FormSettings, form_app
    from crmcli.form.live import ServedWorkspace

    acting_as = settings.pop("acting_as", "alice")
    served = ServedWorkspace(root, projects, acting_as, settings.pop("rescan_seconds", RESCAN))
    port = free_port()
    config = uvicorn.Config(
        form_app(served, FormSettings(**settings)),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the form server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
