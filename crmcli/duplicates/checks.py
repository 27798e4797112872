"""`crm check --duplicates`: records with the same e-mail address or phone number, as warnings
on the second record of each pair (the first keeps its place), at the field they share."""

from __future__ import annotations

from pathlib import Path

from crmcli.core.collector import collector_paused
from crmcli.core.model import Project, Workspace
from crmcli.core.problems import ProblemLog
from crmcli.duplicates.finder import DuplicateFinder, Match
from crmcli.errors import Problem, Severity
from crmcli.i18n import _
from crmcli.index.wanted import cache_wanted

CODES = {"email": "duplicate-email", "phone": "duplicate-phone"}


def exact_duplicates(root: Path, workspace: Workspace, cache: bool = True) -> list[Problem]:
    """Every pair of records of a project that share an e-mail address or a phone number:
    the records holding a key another holds, asked of the index where it is fresh, else
    every record of the project bucketed (`cache=False`: --no-cache)."""
    from crmcli.duplicates.stored_keys import indexed_exact_pairs, open_project_index

    log = ProblemLog(root)
    for project in workspace.projects.values():
        finder = DuplicateFinder(workspace, project, lambda key: True)
        if not finder.fields["email"] and not finder.fields["phone"]:
            continue
        view = open_project_index(root, project.key) if cache_wanted(cache) else None
        with collector_paused():
            found = None if view is None else indexed_exact_pairs(view, workspace, finder, CODES)
            if view is not None:
                view.store.close()
            if found is None:
                finder = DuplicateFinder(workspace, project, lambda key: True)
                found = finder.add_all().pairs(0, CODES)
        for match in found:
            _report(log, project, finder, match)
    return log.problems


def _report(log: ProblemLog, project: Project, finder: DuplicateFinder, match: Match) -> None:
    first, second = (ref.partition("/")[2] for ref in match.records)
    record = project.records[second]
    for reason in match.reasons:
        if reason.kind not in CODES:
            continue
        definition = next(
            f
            for f in finder.fields[reason.kind]
            if _shares(finder, reason.kind, f.key, first, record.data)
        )
        log.add(
            record.path,
            (definition.key,),
            CODES[reason.kind],
            _("{other} has the same {field}, a likely duplicate ({reason}); see crm merge.").format(
                field=definition.label, other=f"{project.key}/{first}", reason=reason.text
            ),
            Severity.WARNING,
            field=definition.key,
        )


def _shares(finder: DuplicateFinder, kind: str, key: str, other: str, data: dict) -> bool:
    """Does field `key` of this record hold a value the other record has too?"""
    mine = finder.keys_of({key: data.get(key)})
    return any(shared == kind for shared, _key in mine.buckets & finder.keys[other].buckets)
