"""The rules of every record applied by a forked child while this process computes the
workspace's fields: on a cold `crm check` of a hundred thousand records each costs a second
or two, neither reads what the other finds, and the two run on two cores.

The child inherits the loaded workspace and its log as they are when it starts (nothing is
sent to it) and sends back the problems the rules found, in their order, and each record's
issues (which the index keeps). The report is the same either way: those problems take the
place in the log they would have taken here. A small workspace, one core, `CRM_PROCESSES=1`
or a child that fails in any way, and the rules are applied here.
"""

from __future__ import annotations

import gc
import pickle
from collections.abc import Callable

from crmcli.core import forked
from crmcli.core.parse_pool import fork_workers
from crmcli.engine.check_context import CheckContext
from crmcli.errors import Problem
from crmcli.index.column_child import ASIDE_FROM

Found = tuple[list[Problem], dict[str, list[Problem]]]  # the problems, each record's issues


class RecordsAside:
    """`check` (the rules of every record) applied by a child, started now."""

    def __init__(self, context: CheckContext, check: Callable[[CheckContext], None]) -> None:
        self._context = context
        self._check = check
        self._child: forked.Child | None = None
        records = sum(len(p.records) for p in context.workspace.projects.values())
        if records >= ASIDE_FROM and fork_workers() >= 2:
            self._child = forked.started(lambda: _applied(context, check))

    @property
    def started(self) -> bool:
        return self._child is not None

    def found(self) -> list[Problem]:
        """The problems the rules found (each record's issues now in the context); applied
        here if the child did not send them."""
        child, self._child = self._child, None
        sent = _received(child.result()) if child is not None else None
        if sent is None:
            log = self._context.log
            before = len(log.problems)
            self._check(self._context)
            return log.problems[before:]
        problems, issues = sent
        self._context.record_issues.update(issues)
        return problems


def _applied(context: CheckContext, check: Callable[[CheckContext], None]) -> bytes:
    """In the child: what the rules found, pickled."""
    gc.disable()  # a collection would touch, and so copy, every page of the parent's
    log = context.log
    before = len(log.problems)
    check(context)
    found: Found = (log.problems[before:], context.record_issues)
    return pickle.dumps(found, protocol=pickle.HIGHEST_PROTOCOL)


def _received(sent: bytes | None) -> Found | None:
    if not sent:
        return None
    try:
        found = pickle.loads(sent)
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError):
        return None
    if not (isinstance(found, tuple) and len(found) == 2):
        return None
    problems, issues = found
    return (problems, issues) if isinstance(problems, list) and isinstance(issues, dict) else None
