"""The checks dashboards add to `crm check`: every file under dashboards/ against the workspace."""

from __future__ import annotations

from crmcli.core.loader import DASHBOARDS_DIR
from crmcli.engine.check_context import Check, CheckContext
from crmcli.reports.spec import check_dashboard


def check_dashboards(context: CheckContext) -> None:
    for path, file in context.workspace.config_files.items():
        if path.startswith(DASHBOARDS_DIR + "/") and isinstance(file.data, dict):
            check_dashboard(context.engine, path, file.data, context.log)


CHECKS: tuple[Check, ...] = (check_dashboards,)
