"""What a workspace check is: a small function over the loaded workspace, its problem log and its
engine.

It lives below the consumers so that automations and dashboards can each declare the checks of
their own files (`automations/checks.py`, `reports/checks.py`) without importing the `crm check`
pipeline that runs them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from crmcli.core.model import Workspace
from crmcli.core.problems import ProblemLog
from crmcli.engine.compute import Engine


@dataclass(slots=True)
class CheckContext:
    workspace: Workspace
    log: ProblemLog
    engine: Engine


Check = Callable[[CheckContext], None]
