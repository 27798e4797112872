"""A record's history from git: who changed what, commit by commit, and its list history.

`git log --follow` finds the commits that touched the record's file (through renames); each
commit's two versions of the file are read by blob id through one `git cat-file` process and
compared field by field with the schema of the working tree (`review.changes.compare_records`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from crmcli.core.lazy_records import is_safe_id
from crmcli.core.model import Record
from crmcli.core.problems import did_you_mean
from crmcli.core.sources import DiskSource
from crmcli.engine.reader import identify_reader
from crmcli.errors import UsageError
from crmcli.git.log import NO_OBJECT, Commit, read_log
from crmcli.git.sources import GitFiles
from crmcli.git.timeline import Move, Timeline
from crmcli.i18n import _
from crmcli.index.revisions import ReviewIndex, read_blob
from crmcli.review.changes import RecordChange, compare_records
from crmcli.review.render_json import record_data
from crmcli.review.render_text import Style, text_details
from crmcli.review.sides import Found, Side


@dataclass(slots=True)
class RecordHistory:
    ref: str
    label: str
    entries: list[tuple[Commit, RecordChange]] = field(default_factory=list)  # newest first
    moves: list[Move] = field(default_factory=list)  # oldest first


class History:
    """Reads records as they were in past commits, by blob id."""

    def __init__(self, root: Path, index: ReviewIndex | None = None) -> None:
        self.root = root
        self.files = GitFiles(root)
        self.index = index
        self.blobs = index.revision(self.files) if index is not None else None
        self.side = Side(root, DiskSource(root), reuse=index.working_tree() if index else None)

    def read(self, path: str, object_id: str) -> Found | None:
        """The record file `path` (relative to the repository) as blob `object_id` holds it."""
        if object_id == NO_OBJECT:
            return None
        relative = path[len(self.files.prefix) :]
        located = self.side.locate(relative)
        if located is None:
            return None
        project, record_id = located
        record, problems = read_blob(
            self.root, self.files, (project.key, relative), object_id, self.blobs
        )
        if record is not None:
            return Found(project, record_id, record, [])
        if any(p.code in ("empty-file", "not-a-mapping") for p in problems):
            return Found(project, record_id, None, [_("the file is not a mapping of fields")])
        error = next(p for p in problems if p.is_error)
        flag = _("line {line}: {message}").format(line=error.line, message=error.message)
        return Found(project, record_id, None, [flag])

    def record_history(self, reference: str, hidden: frozenset[str] = frozenset()) -> RecordHistory:
        """Every commit that touched the record, without the fields in `hidden`
        (`Reader.hidden`: what the reader may not see)."""
        project_key, slash, record_id = reference.partition("/")
        project = self.side.workspace.projects.get(project_key)
        if not slash or project is None or not is_safe_id(record_id):
            raise UsageError(
                _("“{reference}” is not PROJECT/ID of this workspace{hint}").format(
                    reference=reference,
                    hint=did_you_mean(project_key, self.side.workspace.projects),
                )
            )
        path = f"{self.files.prefix}{project_key}/{record_id}.yaml"
        commits = read_log(self.files.repository, "--follow", "-M", paths=[path], changes=True)
        if not commits:
            raise UsageError(
                _("git has no history for {ref} ({path} was never committed){hint}").format(
                    ref=reference, path=path, hint=did_you_mean(record_id, project.records)
                )
            )
        current = project.records.get(record_id)
        history = RecordHistory(reference, project.record_label(current) if current else reference)
        for commit in commits:
            for change in commit.changes:
                before = self.read(change.old_path or change.path, change.old_object)
                after = self.read(change.path, change.new_object)
                if before is None and after is None:
                    continue
                labels = (_("the parent of {commit}").format(commit=commit.short), commit.short)
                history.entries.append(
                    (commit, compare_records(self.side, before, self.side, after, hidden, labels))
                )
        history.moves = self._list_history(
            current or Record(project.key, record_id, f"{project.key}/{record_id}.yaml", {})
        )
        return history

    def _list_history(self, record: Record) -> list[Move]:
        """The timeline's list history, with the members the history entries name."""
        timeline = Timeline(self.root, ZoneInfo(self.side.workspace.config.timezone))
        try:
            moves = timeline.list_history(record)
        finally:
            timeline.close()
        member = self.side.presenter.member
        return [
            replace(move, by=member(move.by)) if move.source == "history" and move.by else move
            for move in moves
        ]


def open_history_of(
    root: Path,
    reference: str,
    acting_as: str | None = None,
    role_name: str | None = None,
    cache: bool = True,
) -> tuple[History, RecordHistory]:
    """The history of the record `reference` as the reader (`identify_reader`) may see it;
    past versions are read through the index in `.crm/` unless `cache` is false."""
    index = ReviewIndex.open(root, cache, working_tree=False)  # one record of it: read
    try:
        history = History(root, index)
        side = history.side
        reader = identify_reader(side.workspace, side.engine, acting_as, role_name)
        found = history.record_history(reference, reader.hidden)
        if index is not None:
            index.keep()
        return history, found
    finally:
        if index is not None:
            index.close()


def render_history(history: RecordHistory, side: Side, colour: bool = False) -> str:
    style = Style(colour)
    lines = [style.bold(f"{history.label} ({history.ref})")]
    moment = side.formatter.moment
    for commit, change in history.entries:
        lines.append("")
        lines.append(
            style.moved(f"{commit.short}")
            + style.plain(f"  {commit.author} <{commit.email}>  {moment(commit.date)}")
        )
        lines.append(style.plain(f"    {commit.subject}"))
        details = text_details(change, style)
        if change.status == "added":
            created = _("created in {list}") if change.list_after else _("created")
            details.insert(0, style.added(created.format(list=change.list_after)))
        elif change.status == "removed":
            details.insert(0, style.removed(_("removed")))
        elif change.status == "renamed":
            details.insert(0, style.plain(_("renamed from {old}").format(old=change.old_ref)))
        lines.extend("      " + line for line in details or [_("(no change to its fields)")])
    if history.moves:
        lines.extend(["", style.bold(_("List history"))])
        for move in history.moves:
            when = moment(move.written) if isinstance(move.written, datetime) else str(move.written)
            source = _("history") if move.source == "history" else move.source
            lines.append(style.plain(f"  {when}  {move.list_name}  {move.by}  [{source}]"))
    return "\n".join(lines) + "\n"


def _written(move: Move) -> str:
    return move.written.isoformat() if isinstance(move.written, datetime) else str(move.written)


def history_data(history: RecordHistory) -> dict[str, Any]:
    return {
        "ref": history.ref,
        "commits": [
            {
                "commit": commit.id,
                "author": commit.author,
                "email": commit.email,
                "date": commit.date.isoformat(),
                "subject": commit.subject,
                "change": record_data(change),
            }
            for commit, change in history.entries
        ],
        "list_history": [
            {
                "at": _written(move),
                "list": move.list_name,
                "by": move.by,
                "source": move.source,
            }
            for move in history.moves
        ],
    }


__all__ = ["History", "history_data", "open_history_of", "render_history"]
