"""The checks that read no computed value, applied by a forked child while this process
computes the workspace's fields: on a cold `crm check` of a hundred thousand records the rules
of every record cost a second or two, the fields as much, neither reads what the other finds,
and the two run on two cores. The notification URLs go with them (apprise is slow to load).

The child inherits the loaded workspace and its log as they are when it starts (nothing is
sent to it) and sends back what each check found, in order, and each record's issues (which
the index keeps). The report is the same either way: those problems take the place in the log
they would have taken here. A small workspace, one core, `CRM_PROCESSES=1` or a child that
fails in any way, and the checks are applied here.
"""

from __future__ import annotations

import gc
from collections.abc import Sequence
from typing import Any

from crmcli.core import forked
from crmcli.core.parse_pool import fork_workers
from crmcli.engine.check_context import Check, CheckContext
from crmcli.errors import Problem
from crmcli.index.column_child import ASIDE_FROM

Found = tuple[list[list[Problem]], dict[str, list[Problem]]]  # by check; each record's issues


class ChecksAside:
    """`checks` applied by a child, started now (`started`: whether it was)."""

    def __init__(self, context: CheckContext, checks: Sequence[Check]) -> None:
        self._context = context
        self.checks = tuple(checks)
        self._child: forked.Child | None = None
        records = sum(len(p.records) for p in context.workspace.projects.values())
        if records >= ASIDE_FROM and fork_workers() >= 2:
            self._child = forked.answering(lambda: _applied(context, self.checks))

    @property
    def started(self) -> bool:
        return self._child is not None

    def found(self) -> list[list[Problem]]:
        """What each check found (each record's issues now in the context); the checks are
        applied here if the child did not send it."""
        child, self._child = self._child, None
        sent = _received(child.answer(), len(self.checks)) if child is not None else None
        if sent is None:
            return _each_found(self._context, self.checks)
        found, issues = sent
        self._context.record_issues.update(issues)
        return found


def _each_found(context: CheckContext, checks: Sequence[Check]) -> list[list[Problem]]:
    log, found = context.log, []
    for check in checks:
        before = len(log.problems)
        check(context)
        found.append(log.problems[before:])
    return found


def _applied(context: CheckContext, checks: Sequence[Check]) -> Found:
    """In the child: what the checks found."""
    gc.disable()  # a collection would touch, and so copy, every page of the parent's
    return _each_found(context, checks), context.record_issues


def _received(found: Any, checks: int) -> Found | None:
    """What the child sent, if it is what each check found and each record's issues."""
    if not (isinstance(found, tuple) and len(found) == 2):
        return None
    parts, issues = found
    if not (isinstance(parts, list) and len(parts) == checks and isinstance(issues, dict)):
        return None
    return parts, issues
