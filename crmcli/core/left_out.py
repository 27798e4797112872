"""Records left out because they cannot be read: invalid YAML, not a mapping, over the size limit.

The loader reports such a file as a problem and skips it, so a command that lists, exports,
totals or reminds would silently work on fewer records than the folder holds. Every such command
names them from here, from the problems the loader already collected, and `--strict` refuses.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from crmcli.core.model import Workspace
from crmcli.errors import CrmError, Problem
from crmcli.i18n import _, counted, ngettext


def left_out_records(
    workspace: Workspace, projects: Collection[str] | None = None
) -> list[Problem]:
    """The first problem of each record file the loader could not read (of `projects`, or all)."""
    wanted = {
        path
        for path in workspace.left_out
        if projects is None or path.partition("/")[0] in projects
    }
    found: dict[str, Problem] = {}
    for problem in workspace.problems:
        if problem.is_error and problem.path in wanted:
            found.setdefault(problem.path, problem)
    return list(found.values())


def left_out_message(problem: Problem) -> str:
    """One whole sentence naming the record and why it cannot be read."""
    record = problem.path.removesuffix(".yaml")
    reason = problem.message.rstrip(".")
    if problem.line > 0:
        return _("{record} was left out: it cannot be read (line {line}: {reason}).").format(
            record=record, line=problem.line, reason=reason
        )
    return _("{record} was left out: it cannot be read ({reason}).").format(
        record=record, reason=reason
    )


def refuse_left_out(problems: Sequence[Problem]) -> None:
    """--strict: a result that leaves records out is an error, and nothing is written."""
    if problems:
        raise CrmError(
            ngettext(
                "{count} record cannot be read; with --strict nothing is left out silently.",
                "{count} records cannot be read; with --strict nothing is left out silently.",
                len(problems),
            ).format(count=counted(len(problems))),
            problems=list(problems),
        )
