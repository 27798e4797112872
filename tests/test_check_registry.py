"""`crm check` runs a registry of checks: its own core checks, then the ones automations and
dashboards declare for their files. Editing a record therefore loads neither of them."""

from __future__ import annotations

import subprocess
import sys

from crmcli.automations import checks as automations_checks
from crmcli.check import secrets as secrets_checks
from crmcli.check.workspace import CHECKS, CORE_CHECKS
from crmcli.reports import checks as reports_checks

from .conftest import crm_in_process

BROKEN_RULES = """
    rules:
      - name: Broken
        project: opportunities
        on: craeted
        do: [{notify: alice}]
"""

BROKEN_DASHBOARD = """
    title: Pipeline
    widgets:
      - {type: stat, title: Deals, project: opportunites}
"""


def test_the_registry_runs_the_core_checks_then_each_consumers_checks():
    assert CHECKS == (
        CORE_CHECKS + reports_checks.CHECKS + automations_checks.CHECKS + secrets_checks.CHECKS
    )
    assert reports_checks.CHECKS and automations_checks.CHECKS


def test_crm_check_reports_a_broken_automations_file_and_a_broken_dashboard(workspace):
    root = workspace(
        {"automations.yaml": BROKEN_RULES, "dashboards/pipeline.yaml": BROKEN_DASHBOARD}
    )
    result = crm_in_process("check", cwd=root)
    assert result.returncode == 1
    assert "automations.yaml:4:" in result.stdout and "did you mean “created”" in result.stdout
    assert "dashboards/pipeline.yaml:3:" in result.stdout
    assert "did you mean “opportunities”" in result.stdout


def test_the_editor_loads_neither_dashboards_nor_automations_nor_the_check_pipeline():
    script = (
        "import sys, crmcli.editing.editor\n"
        "print(sorted(m for m in sys.modules if m.startswith("
        "('crmcli.reports', 'crmcli.automations', 'crmcli.check'))))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    assert loaded.strip() == "[]"
