"""Warning before a duplicate is made: `crm add`, `crm import` and the web form ask whether a
new record is a likely duplicate of one already in its project, named by PROJECT/ID."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from crmcli.core.model import Member, Project, Workspace
from crmcli.duplicates.finder import DuplicateFinder, Match
from crmcli.engine.reader import reader_for
from crmcli.i18n import _


def finder_for(workspace: Workspace, project: Project, member: Member | None) -> DuplicateFinder:
    """The project's records in buckets, compared on what `member` may see."""
    reader = reader_for(workspace, member)
    finder = DuplicateFinder(workspace, project, lambda key: reader.may_see(project.key, key))
    return finder.add_all()


def likely_duplicates(
    root: Path, workspace: Workspace, project: Project, data: dict[str, Any], member: Member | None
) -> list[Match]:
    """The records of the project that a record with `data`, not yet written, likely
    duplicates: the index is asked for those sharing a key with it; without an index, the
    project's records are bucketed (and the index built)."""
    from crmcli.duplicates.stored_keys import indexed_matches, open_index
    from crmcli.index.session import open_indexed

    index = open_index(root)
    if index is not None:
        reader = reader_for(workspace, member)
        found = indexed_matches(
            index, workspace, project, lambda key: reader.may_see(project.key, key), data
        )
        index.store.close()
        if found is not None:
            return found
    indexed = open_indexed(root).workspace  # the project's records, without parsing each
    return finder_for(indexed, indexed.projects[project.key], member).matches(data, "")


def duplicate_warning(match: Match, new: str, workspace: Workspace, name: str | None = None) -> str:
    """The warning about `new` (PROJECT/ID, or a row) and the record it likely duplicates
    (`name`: its name, when it is not written yet)."""
    existing = match.records[1]
    project_key, _slash, record_id = existing.partition("/")
    record = workspace.record(project_key, record_id)
    return _("{new} is likely a duplicate of {existing} “{name}” ({reason}, score {score})").format(
        new=new,
        existing=existing,
        name=record.name if record else record_id,
        reason=match.reason,
        score=match.score,
    )
