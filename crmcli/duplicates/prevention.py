"""Warning before a duplicate is made: `crm add`, `crm import` and the web form ask whether a
new record is a likely duplicate of one already in its project, named by PROJECT/ID."""

from __future__ import annotations

from collections.abc import Callable
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


class NewRecords:
    """Whether new records of a project, not yet written, likely duplicate one of its
    records (`crm add`, each row of `crm import`): the index is asked for the records that
    share a key with each; without an index, the project's records are bucketed once, from
    `workspace()`."""

    def __init__(
        self,
        root: Path,
        project: Project,
        member: Member | None,
        workspace: Callable[[], Workspace],
        reading: Workspace,
    ) -> None:
        from crmcli.duplicates.stored_keys import IndexedMatches, open_project_index

        self.project = project
        self.member = member
        self.workspace = workspace
        self.finder: DuplicateFinder | None = None
        self.view = open_project_index(root, project.key)
        reader = reader_for(reading, member)
        self.indexed = None
        if self.view is not None:
            self.indexed = IndexedMatches.open(
                self.view, reading, project, lambda key: reader.may_see(project.key, key)
            )

    def matches(self, data: dict[str, Any]) -> list[Match]:
        if self.indexed is not None:
            found = self.indexed.matches(data)
            if found is not None:
                return found
            self.indexed = None
        if self.finder is None:
            workspace = self.workspace()
            self.finder = finder_for(workspace, workspace.projects[self.project.key], self.member)
        return self.finder.matches(data, "")

    def close(self) -> None:
        if self.view is not None:
            self.view.store.close()


def likely_duplicates(
    root: Path, workspace: Workspace, project: Project, data: dict[str, Any], member: Member | None
) -> list[Match]:
    """The records of the project that a record with `data`, not yet written, likely
    duplicates (without an index, the index is built)."""
    from crmcli.index.session import open_indexed

    new = NewRecords(root, project, member, lambda: open_indexed(root).workspace, workspace)
    try:
        return new.matches(data)
    finally:
        new.close()


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
