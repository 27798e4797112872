"""Which commits changed each record's file, for dating records (`git/timeline.py`). Git is
asked once for the whole workspace (one `git log --raw`, following renames), and only when
some record needs it, in the background from the moment one may (`prefetch`); old versions
of files are read by blob id through one `git cat-file` process and parsed once per blob."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from crmcli.core.yamlio import MAX_RECORD_BYTES, YamlReadError
from crmcli.git.log import NO_OBJECT, Commit, log_arguments, parse_log
from crmcli.git.run import StartedGit
from crmcli.git.sources import (
    FileChange,
    GitFiles,
    StartedChanges,
    find_commit,
    started_working_tree_changes,
)


@dataclass(frozen=True, slots=True)
class Version:
    """A commit that changed a record's file: when, which, and the file's blobs before and
    after; `order` is its place in the log (0 the newest)."""

    at: datetime
    change: FileChange
    commit: Commit
    order: int


class FileVersions:
    """The versions of a workspace's files as of `revision` (a commit), or of HEAD with the
    working tree's changes on top when `revision` is None; dates in `zone`."""

    def __init__(self, root: Path, zone: ZoneInfo, revision: str | None = None) -> None:
        self.root = root
        self.zone = zone
        self.revision = revision
        self._versions: dict[str, list[Version]] | None = None
        self._asked: _Asked | None = None
        self._git_asked = False
        self._uncommitted: set[str] = set()
        self._files: GitFiles | None = None
        self._blobs: dict[str, Any] = {}  # blob id → parsed content

    def close(self) -> None:
        if self._asked is not None and self._versions is None:
            self._asked.stop()
        if self._files is not None:
            self._files.close()

    def prefetch(self) -> None:
        """Ask git now, so that it reads its log and compares the working tree while this
        process goes on."""
        if not self._git_asked:
            self._asked, self._git_asked = self._ask(), True

    def of(self, path: str) -> list[Version]:
        """The commits that changed the file, newest first."""
        if self._versions is None:
            self._versions = self._read_versions()
        return self._versions.get(path, [])

    def uncommitted(self, path: str) -> bool:
        """Whether the working tree changed the file since the last commit."""
        self.of(path)
        return path in self._uncommitted

    def blob(self, object_id: str) -> Any:
        """The parsed content of a blob (None for no blob, or one too large or broken)."""
        if object_id not in self._blobs:
            self._blobs[object_id] = self._parse_blob(object_id)
        return self._blobs[object_id]

    def _ask(self) -> _Asked | None:
        commit = find_commit(self.root, self.revision or "HEAD")
        if commit is None:
            return None  # not in git (or no commit yet): file dates it is
        files = GitFiles(self.root)
        log = StartedGit(self.root, *log_arguments(commit, "-M", paths=["."], changes=True))
        changes = None if self.revision else started_working_tree_changes(self.root, commit)
        return _Asked(files, log, changes)

    def _read_versions(self) -> dict[str, list[Version]]:
        self.prefetch()
        asked = self._asked
        if asked is None:
            return {}
        self._files = files = asked.files
        versions: dict[str, list[Version]] = {}
        for order, found in enumerate(parse_log(asked.log.output())):
            moment = found.committed.astimezone(self.zone)
            for change in found.changes:
                path = change.path.removeprefix(files.prefix)
                versions.setdefault(path, []).append(Version(moment, change, found, order))
        if asked.changes is not None:
            self._uncommitted = {path for _s, path, _o in asked.changes.read()}
        return {path: _followed(versions, own, files.prefix) for path, own in versions.items()}

    def _parse_blob(self, object_id: str) -> Any:
        if object_id == NO_OBJECT or self._files is None:
            return None
        try:
            return self._files.read_document(object_id, MAX_RECORD_BYTES).data
        except YamlReadError:
            return None


@dataclass(frozen=True, slots=True)
class _Asked:
    """What git was asked: the files it names, its log, the working tree's changes (None
    for a past revision)."""

    files: GitFiles
    log: StartedGit
    changes: StartedChanges | None

    def stop(self) -> None:
        self.log.stop()
        if self.changes is not None:
            self.changes.stop()
        self.files.close()


def _followed(versions: dict[str, list[Version]], own: list[Version], prefix: str) -> list[Version]:
    """A file's versions, then those of the file it was renamed from, before the rename."""
    for index, version in enumerate(own):
        old_path = version.change.old_path
        if version.change.status == "R" and old_path is not None:
            older = versions.get(old_path.removeprefix(prefix), [])
            earlier = [old for old in older if old.order > version.order]
            return own[: index + 1] + _followed(versions, earlier, prefix)
    return own
