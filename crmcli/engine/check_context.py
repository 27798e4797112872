"""What a workspace check is: a small function over the loaded workspace, its problem log and its
engine.

It lives below the consumers so that automations and dashboards can each declare the checks of
their own files (`automations/checks.py`, `reports/checks.py`) without importing the `crm check`
pipeline that runs them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from crmcli.core.model import Workspace
from crmcli.core.problems import ProblemLog
from crmcli.engine.compute import Engine
from crmcli.errors import Problem


@dataclass(slots=True)
class CheckContext:
    workspace: Workspace
    log: ProblemLog
    engine: Engine
    # What the rules of one record said of each record file the index knows did not change,
    # in a workspace whose other records and configuration did not change either…
    known_issues: Mapping[str, list[Problem]] = field(default_factory=dict)
    # …and what they say now of every record, for the index to keep.
    record_issues: dict[str, list[Problem]] = field(default_factory=dict)
    # What the parse workers found of the records they read (the loader's `checked_ahead`).
    checked_ahead: Mapping[str, Any] = field(default_factory=dict)


Check = Callable[[CheckContext], None]
