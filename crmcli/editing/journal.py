"""Many files written as one: all or nothing, even when the process is killed midway.

A `Transaction` is the one way crm writes several workspace files (rename, import, fmt); a
single file keeps the temp file + rename of `editing/atomic.py`. Four steps, each leaving on
disk what the next command needs to finish or undo it:

1. intent: each file staged gets a line in `.crm/journal/intent.jsonl` (the file, relative to
   the workspace; the sha256 of what it replaces, null for a new file; the sha256 of its new
   content, null for a removal; its temp file), then its new content goes to that temp file,
   in `.crm/journal/` (beside the target if the target's folder is on another disk).
2. commit: once the temp files and the intent are on disk (fsync each, or one sync() for a
   big batch), `.crm/journal/committed` is written and fsynced: from then on the write is
   rolled forward when it can be.
3. apply: each temp file takes its target's place by a compare-and-swap (`editing/renames.py`)
   that closes the race with a hand edit or a `git pull` between the sha check and the rename.
   A replace exchanges the temp file and the target atomically (RENAME_EXCHANGE), so the temp
   name then holds exactly the file that was replaced: if its sha256 is not the one read, it
   is swapped back and the whole transaction undone; else it is the backup a roll back
   restores. A create never replaces (RENAME_NOREPLACE); a removal moves the file into the
   journal and checks it the same way.
4. the backups, then the journal, are removed.

`recover(root)` (`editing/recovery.py`) runs under the workspace lock before any command goes on (`editing/lock.py`).
Without `committed`, nothing was applied: the temp files are removed. With it, the write is
rolled forward if every step is done or can be done (its temp file holds the new content, its
target still the old one), else rolled back from the backups. A file edited by hand since is
never overwritten; if neither way is possible, the journal is kept aside in
`.crm/journal-failed-…/` and the command names the files to look at.

For the kill tests, `CRM_TEST_PAUSE_IN_RENAME_LOOP=SECONDS` sleeps after each applied step, so
that a SIGKILL lands inside the loop (tests/test_kill_writes.py).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO

from crmcli.core.state_dir import STATE_DIR, state_folder
from crmcli.editing.atomic import PendingWrite, current_sha, sha256
from crmcli.editing.renames import move_no_replace, swap
from crmcli.errors import CrmError
from crmcli.i18n import _

JOURNAL = "journal"
INTENT = "intent.jsonl"
COMMITTED = "committed"
FSYNC_EACH_UP_TO = 64  # files; a bigger batch is flushed with one sync()
PAUSE_VARIABLE = "CRM_TEST_PAUSE_IN_RENAME_LOOP"
IN_JOURNAL = f"{STATE_DIR}/{JOURNAL}/"  # how the temp files staged in the journal begin


def journal_folder(root: Path) -> Path:
    return root / STATE_DIR / JOURNAL


@dataclass(frozen=True, slots=True)
class Step:
    """One file of a transaction; paths are relative to the workspace."""

    path: str
    old: str | None  # sha256 of what it replaces; None: a new file
    new: str | None  # sha256 of its new content; None: the file is removed
    temp: str  # the new content until applied, then the replaced content (the backup)


class ConflictError(Exception):
    """A step's target is not the file that was read: nothing of the transaction stays."""

    def __init__(self, path: str, appeared: bool = False) -> None:
        super().__init__(path)
        self.path = path
        self.appeared = appeared

    def message(self) -> str:
        if self.appeared:
            return _(
                "{path} appeared while crm was working (another program wrote it); nothing "
                "was written, try again"
            ).format(path=self.path)
        return _(
            "{path} was changed by someone else while crm was working; nothing was written, "
            "try again"
        ).format(path=self.path)


class Transaction:
    """Files staged with `write` and `remove`, applied all at once by `commit`.

    Used as a context manager under the workspace lock: leaving the block commits, an
    exception discards what was staged (nothing of it reached the workspace).
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.folder = journal_folder(root)
        self.steps: list[Step] = []
        self._intent: IO[str] | None = None
        self._same_disk: dict[Path, bool] = {}
        self._created = False

    def __enter__(self) -> Transaction:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if kind is None:
            self.commit()
        else:
            self.discard()

    def write(self, path: Path, content: bytes, expected_sha: str | None) -> None:
        """Stage new content for `path`, refused now if the file is not the one that was read."""
        self._refuse_changed(path, expected_sha)
        new = sha256(content)
        if new == expected_sha:
            return
        temp = self._stage(Step(self._relative(path), expected_sha, new, self._temp_for(path)))
        mode = path.stat().st_mode & 0o7777 if expected_sha is not None else 0o644
        descriptor = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
        if expected_sha is not None:
            os.chmod(temp, mode)  # noqa: PTH101 — whatever the umask, as the file had it

    def remove(self, path: Path, expected_sha: str) -> None:
        self._refuse_changed(path, expected_sha)
        self._stage(Step(self._relative(path), expected_sha, None, self._temp_for(path)))

    def commit(self) -> None:
        """Make the staged files durable, mark the journal committed, then apply every step."""
        if self._intent is None:
            return
        self._intent.flush()
        os.fsync(self._intent.fileno())
        self._intent.close()
        self._intent = None
        _make_durable(self.root, self.steps)
        marker = os.open(self.folder / COMMITTED, os.O_WRONLY | os.O_CREAT, 0o644)
        os.fsync(marker)
        os.close(marker)
        _fsync_folder(self.folder)
        try:
            apply_all(self.root, self.steps, done=set())
        except ConflictError as conflict:
            raise CrmError(conflict.message()) from None

    def discard(self) -> None:
        if self._intent is not None:
            self._intent.close()
            self._intent = None
        if self._created:
            remove_journal(self.root, self.steps)

    def _stage(self, step: Step) -> str:
        if self._intent is None:
            state_folder(self.root)
            self.folder.mkdir()  # fails if an unrecovered journal is there: never mix two
            self._created = True
            self._intent = (self.folder / INTENT).open("w", encoding="utf-8")
        line = {"path": step.path, "old": step.old, "new": step.new, "temp": step.temp}
        self._intent.write(json.dumps(line, ensure_ascii=False) + "\n")
        if not step.temp.startswith(IN_JOURNAL):
            self._intent.flush()  # a temp file beside its target is never left unlisted
        self.steps.append(step)
        return f"{self.root}{os.sep}{step.temp}"

    def _refuse_changed(self, path: Path, expected_sha: str | None) -> None:
        if expected_sha is None:
            changed = os.path.lexists(path)  # one stat: imports create files by the thousand
        else:
            changed = current_sha(path) != expected_sha
        if changed:
            appeared = expected_sha is None
            raise CrmError(ConflictError(self._relative(path), appeared).message())

    def _relative(self, path: Path) -> str:
        text, prefix = str(path), f"{self.root}{os.sep}"
        if not text.startswith(prefix):
            raise ValueError(f"{path} is outside {self.root}")
        return text[len(prefix) :].replace(os.sep, "/")

    def _temp_for(self, path: Path) -> str:
        """In the journal, unless the target's folder is on another disk: then beside it."""
        parent = path.parent
        if parent not in self._same_disk:
            parent.mkdir(parents=True, exist_ok=True)
            self._same_disk[parent] = parent.stat().st_dev == self.root.stat().st_dev
        number = len(self.steps)
        if self._same_disk[parent]:
            return f"{IN_JOURNAL}{number}.tmp"
        return self._relative(parent / f".{path.name}.crm-{number}.tmp")


def write_all(
    root: Path, writes: Sequence[PendingWrite], removals: Iterable[tuple[Path, str]] = ()
) -> None:
    """Several record files at once, each only if it is still the one that was read;
    `removals` are (path, sha256 of what was read)."""
    with Transaction(root) as transaction:
        for write in writes:
            transaction.write(write.path, write.text.encode("utf-8"), write.expected_sha)
        for path, expected_sha in removals:
            transaction.remove(path, expected_sha)


# applying and undoing one step


def apply_all(root: Path, steps: Sequence[Step], done: set[int]) -> None:
    """Apply the steps not done yet; on a conflict undo every done one, then raise it."""
    pause = float(os.environ.get(PAUSE_VARIABLE) or 0)
    try:
        for index, step in enumerate(steps):
            if index in done:
                continue
            _apply(root, step)
            done.add(index)
            if pause:
                time.sleep(pause)
    except BaseException:
        for index in sorted(done, reverse=True):
            undo(root, steps[index])
        remove_journal(root, steps)
        raise
    _fsync_folders(root, {step.path.rpartition("/")[0] for step in steps})
    remove_journal(root, steps)


def _apply(root: Path, step: Step) -> None:
    target, temp = paths(root, step)
    if step.old is None:
        try:
            move_no_replace(temp, target)
        except FileExistsError:
            raise ConflictError(step.path, appeared=True) from None
        return
    if step.new is None:
        try:
            move_no_replace(target, temp)
        except FileNotFoundError:
            raise ConflictError(step.path) from None
        if current_sha(temp) != step.old:
            move_no_replace(temp, target)
            raise ConflictError(step.path)
        return
    swap(temp, target)
    if current_sha(temp) != step.old:
        swap(temp, target)
        raise ConflictError(step.path)


def undo(root: Path, step: Step) -> None:
    target, temp = paths(root, step)
    if step.old is None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(target)  # noqa: PTH108
    elif step.new is None:
        move_no_replace(temp, target)
    else:
        swap(temp, target)


def paths(root: Path, step: Step) -> tuple[str, str]:
    """The target and the temp file as str: a 100,000-file import waits on this loop."""
    return f"{root}{os.sep}{step.path}", f"{root}{os.sep}{step.temp}"


# the journal on disk


def remove_journal(root: Path, steps: Sequence[Step]) -> None:
    folder = journal_folder(root)
    for step in steps:
        if not step.temp.startswith(IN_JOURNAL):
            (root / step.temp).unlink(missing_ok=True)  # staged beside its target
    (folder / COMMITTED).unlink(missing_ok=True)  # first: a half-removed journal is not committed
    shutil.rmtree(folder, ignore_errors=True)


def _make_durable(root: Path, steps: Sequence[Step]) -> None:
    """The staged temp files on disk: each fsynced, or one sync() for a big batch."""
    if len(steps) > FSYNC_EACH_UP_TO:
        os.sync()
        return
    for step in steps:
        if step.new is None:
            continue
        descriptor = os.open(root / step.temp, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _fsync_folders(root: Path, folders: Iterable[str]) -> None:
    for folder in folders:
        _fsync_folder(root / folder)
