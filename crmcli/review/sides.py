"""One state of a workspace that a review compares: a revision (`GitSource`), what is staged
(`IndexSource`) or the working tree (`DiskSource`), loaded lazily so that a diff reads the
changed files and the records they refer to, never the whole workspace twice.

`parse_range` turns what was typed (`A..B`, `A...B`, `REV` or nothing) into the two sides to
open; `open_sides` opens them and reads the changed record files in one batch.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from crmcli.core.loader import Loader, RecordReuse
from crmcli.core.model import Project, Record
from crmcli.core.sources import DiskSource, FileSource
from crmcli.core.yamlio import MAX_RECORD_BYTES
from crmcli.engine.compute import Engine
from crmcli.engine.present import Presenter
from crmcli.engine.reader import workspace_now
from crmcli.engine.scope import Reach
from crmcli.errors import CrmError, Severity, UsageError
from crmcli.fields.context import FieldContext
from crmcli.fields.formatting import Formatter
from crmcli.fields.record import RecordChecker
from crmcli.fields.references import reference_ids
from crmcli.git.run import git
from crmcli.git.sources import (
    GitFiles,
    GitSource,
    IndexSource,
    merge_base,
    resolve_commit,
    working_tree_changes,
)
from crmcli.i18n import _
from crmcli.index.revisions import ReviewIndex

FileStatus = tuple[str, str, str | None]  # (git status letter, path, old path)


@dataclass(slots=True)
class Found:
    """A record file as one side has it: the record, or None when it cannot be read."""

    project: Project
    record_id: str
    record: Record | None
    flags: list[str]


class Side:
    """One state of the workspace, loaded lazily; records are read when asked for."""

    def __init__(
        self,
        root: Path,
        source: FileSource,
        today: date | None = None,
        reuse: RecordReuse | None = None,
    ) -> None:
        self.source = source
        self.label = source.label
        self.loader = Loader(root, source, reuse)
        self.workspace = self.loader.load(lazy=True)
        self.engine = Engine(self.workspace, self.loader.log, today, Reach.NAMED_RECORDS)
        self.formatter = Formatter.for_workspace(self.workspace.config)
        self.presenter = Presenter(self.workspace, self.engine, self.formatter)
        self._checkers: dict[str, RecordChecker] = {}

    def locate(self, path: str) -> tuple[Project, str] | None:
        """The project and id of a record file path, or None for any other file."""
        folder, slash, name = path.partition("/")
        if not slash or "/" in name or not name.endswith(".yaml") or name.startswith("_"):
            return None
        project = self.workspace.projects.get(folder)
        return (project, name[: -len(".yaml")]) if project is not None else None

    def read(self, path: str) -> Found | None:
        """The record at `path` on this side; None when this side has no such record file."""
        located = self.locate(path)
        if located is None or not self.source.is_file(path):
            return None
        project, record_id = located
        record = project.records.get(record_id)
        flags = [
            _("line {line}: {message}").format(line=p.line, message=p.message)
            for p in self.loader.log.problems
            if p.path == path and p.severity is Severity.ERROR
        ]
        return Found(project, record_id, record, flags)

    def complete(self, found: Found) -> None:
        """Check the record and compute its formulas and lookups."""
        if found.record is not None:
            found.flags.extend(self._issues(found.project, found.record))
            self.engine.compute_record(found.project, found.record)

    def prefetch_references(self, founds: Iterable[Found | None]) -> None:
        """Read the records these records refer to in one go (a revision answers a batch of
        questions much faster than one at a time)."""
        prefetch = getattr(self.source, "prefetch", None)
        if prefetch is None:
            return
        paths = []
        for found in founds:
            if found is None or found.record is None:
                continue
            for key, definition in found.project.fields.items():
                target = self.engine.target_of(found.project, key)
                if definition.type == "reference" and target is not None:
                    value = found.record.data.get(key)
                    paths.extend(f"{target.key}/{i}.yaml" for i in reference_ids(value))
        prefetch(paths, MAX_RECORD_BYTES)

    def _issues(self, project: Project, record: Record) -> list[str]:
        checker = self._checkers.get(project.key)
        if checker is None:
            checker = RecordChecker(FieldContext(self.workspace, project))
            self._checkers[project.key] = checker
        prefix = project.record_label(record) + ": "
        return [
            issue.message.removeprefix(prefix)
            for issue in checker.issues(record)
            if issue.severity is Severity.ERROR
        ]


@dataclass(frozen=True, slots=True)
class Range:
    """What to compare: a base revision and a target (a revision, the index or the files)."""

    base: str
    target: str | None  # None: the working tree, or the index when staged
    staged: bool = False
    base_label: str | None = None  # how to name the base when it is not what was typed


def parse_range(root: Path, text: str | None, staged: bool = False) -> Range:
    """`A..B`, `A...B` (from their merge base), `REV` (against the working tree), or nothing."""
    if text is None or not text.strip():
        return Range("HEAD", None, staged)
    text = text.strip()
    if "..." in text:
        left, _dots, right = text.partition("...")
        left, right = left or "HEAD", right or "HEAD"
        base = merge_base(root, resolve_commit(root, left), resolve_commit(root, right))
        if base is None:
            raise CrmError(
                _("{left} and {right} have no common history here").format(left=left, right=right)
            )
        target = right
        _refuse_staged(staged, text)
        label = _("the merge base of {left} and {right}").format(left=left, right=right)
        return Range(base, target, base_label=label)
    if ".." in text:
        left, _dots, right = text.partition("..")
        _refuse_staged(staged, text)
        return Range(left or "HEAD", right or "HEAD")
    return Range(text, None, staged)


def _refuse_staged(staged: bool, text: str) -> None:
    if staged:
        raise UsageError(
            _("--staged compares a revision with the index, not a range like {range}").format(
                range=text
            )
        )


def require_repository(root: Path) -> None:
    """CrmError unless the workspace is inside a git work tree."""
    inside = git(root, "rev-parse", "--is-inside-work-tree", check=False).strip()
    if inside != "true":
        raise CrmError(
            _("{path} is not inside a git repository: there are no revisions to compare").format(
                path=root
            )
        )


def open_sides(
    root: Path, chosen: Range, index: ReviewIndex | None = None
) -> tuple[Side, Side, list[FileStatus]]:
    """The base and target sides of `chosen` and the files that changed between them; the
    changed record files are read from git in one batch (much faster than one at a time),
    and through `index` where it has read them before."""
    base_source = GitSource(root, chosen.base)
    base_source.label = chosen.base_label or base_source.label
    target_source: FileSource
    if chosen.target is not None:
        target_source = GitSource(root, chosen.target)
        changes = target_source.changed_files(base_source.commit)
    elif chosen.staged:
        target_source = IndexSource(root)
        changes = target_source.changed_files(base_source.commit)
    else:
        target_source = DiskSource(root)
        target_source.label = _("working tree")
        changes = working_tree_changes(root, base_source.commit)
    target_reuse: RecordReuse | None = None
    if index is not None:
        is_git = isinstance(target_source, GitFiles)
        target_reuse = index.revision(target_source) if is_git else index.working_tree()
    base = Side(root, base_source, reuse=index.revision(base_source) if index else None)
    today = workspace_now(base.workspace).date()
    base.engine.today = today
    target = Side(root, target_source, today, target_reuse)
    base_source.prefetch(
        (p for _s, path, old in changes if base.locate(p := old or path)), MAX_RECORD_BYTES
    )
    if isinstance(target_source, GitSource):
        target_source.prefetch((p for _s, p, _o in changes if target.locate(p)), MAX_RECORD_BYTES)
    return base, target, changes
