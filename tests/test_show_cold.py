"""`crm show` of one record reads that record and what it needs, not the whole workspace.

A deal's show reads the deal, its client (lookups), and the projects that may refer to it
(delivery, invoices: its backlinks), never the other deals or clients; what it prints is what
the whole workspace computed says. Opened files are seen through a Python audit hook.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from crmcli.engine.workspace import open_workspace

from .conftest import SAMPLE, crm_in_process

DEAL = "opportunities/agence-pixel-nord-refonte-du-logo"
_opened: list[str] | None = None


def _note_open(event: str, args: tuple) -> None:
    if _opened is not None and event == "open" and isinstance(args[0], str | Path):
        _opened.append(str(args[0]))


sys.addaudithook(_note_open)


@contextmanager
def opened_files() -> Iterator[list[str]]:
    """The workspace files opened meanwhile, relative to the sample."""
    global _opened
    _opened = []
    found: list[str] = []
    try:
        yield found
    finally:
        prefix = str(SAMPLE) + "/"
        found.extend(sorted({p[len(prefix) :] for p in _opened if p.startswith(prefix)}))
        _opened = None


def test_show_of_a_deal_reads_the_deal_its_client_and_its_backlinks_only() -> None:
    with opened_files() as files:
        shown = crm_in_process(
            "-C", SAMPLE, "show", DEAL, "--format", "json", "--no-cache", env={"CRM_USER": "alice"}
        )
    assert shown.returncode == 0, shown.stderr
    client = json.loads(shown.stdout)["fields"]["client"]
    records = [f for f in files if not f.endswith("_project.yaml") and "/" in f]
    deals = [f for f in records if f.startswith("opportunities/")]
    clients = [f for f in records if f.startswith("clients/")]
    assert deals == [f"{DEAL}.yaml"]
    assert clients == [f"clients/{client}.yaml"]
    assert any(f.startswith("invoices/") for f in records)  # who refers to the deal


def test_show_prints_what_the_whole_workspace_computes() -> None:
    shown = crm_in_process(
        "-C", SAMPLE, "show", DEAL, "--format", "json", env={"CRM_USER": "alice"}
    )
    whole = open_workspace(SAMPLE)
    _project, record = whole.record(DEAL)
    fields = json.loads(shown.stdout)["fields"]
    computed = {k: v for k, v in record.computed.items() if v is not None and k in fields}
    assert computed  # lookups and formulas are there
    for key, value in computed.items():
        assert fields[key] == json.loads(json.dumps(value, default=str)), key
