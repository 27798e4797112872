"""Many files written as one: all or nothing, even when the process is killed midway.

A `Transaction` is the one way crm writes several workspace files (rename, import, fmt); a
single file keeps the temp file + rename of `editing/atomic.py`. It goes in four steps, each
leaving on disk what the next command needs to finish or undo it:

1. intent: each file is staged as it is given. `.crm/journal/intent.jsonl` gets a line (the
   file, relative to the workspace; the sha256 of what it replaces, null for a new file; the
   sha256 of its new content, null for a removal; its temp file), then the new content goes to
   that temp file: in `.crm/journal/`, or beside the target when the target's folder is on
   another disk (a rename cannot cross disks).
2. commit: when every temp file and the intent are on disk (fsync each, or one sync() for a big
   batch), `.crm/journal/committed` is written and fsynced. From then on the write is rolled
   forward when it can be.
3. apply: one by one, each temp file takes its target's place, as a compare-and-swap that
   closes the race with a hand edit or a `git pull` between the sha check and the rename:
   - replace: renameat2(RENAME_EXCHANGE) swaps the temp file and the target atomically, so the
     temp name then holds exactly the file that was replaced. If its sha256 is not the one that
     was read, it is swapped back and the whole transaction rolled back. Otherwise the replaced
     content stays there until the end: it is the backup a roll back restores.
   - create: renameat2(RENAME_NOREPLACE) fails if the name appeared meanwhile.
   - remove: the file is moved (NOREPLACE) into the journal, and checked the same way.
   Where renameat2 is missing (not Linux, or a file system without it), the swap is done with
   a hard link and two renames and "no replace" with link() + unlink(): all or nothing still
   holds, the hand-edit race is back to a window of a few microseconds.
4. the backups, then the journal, are removed.

`recover(root)` runs under the workspace lock before any command goes on (`editing/lock.py`).
Without `committed` nothing was applied: the temp files are removed. With it, the transaction
is rolled forward if every step is done or can be done (its temp file holds the new content and
its target still the old one), else rolled back from the backups. A step whose target was
edited by hand since is never overwritten; if neither way is possible, the journal is kept
aside in `.crm/journal-failed-…/` and the command says which files to look at.

For the kill tests, `CRM_TEST_PAUSE_IN_RENAME_LOOP=SECONDS` sleeps after each applied step, so
that a test's SIGKILL lands inside the loop (tests/test_kill_*.py).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from types import TracebackType
from typing import IO

from crmcli.core.loader import STATE_DIR
from crmcli.editing.atomic import PendingWrite, current_sha, sha256
from crmcli.editing.renames import move_no_replace, swap
from crmcli.errors import CrmError
from crmcli.i18n import _, ngettext

JOURNAL = "journal"
INTENT = "intent.jsonl"
COMMITTED = "committed"
FSYNC_EACH_UP_TO = 64  # files; a bigger batch is flushed with one sync()
PAUSE_VARIABLE = "CRM_TEST_PAUSE_IN_RENAME_LOOP"


def state_folder(root: Path) -> Path:
    """`.crm/`, created with a `.gitignore` of `*` so that nothing in it is ever committed."""
    folder = root / STATE_DIR
    if not folder.is_dir():
        folder.mkdir(exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n", encoding="utf-8")
    return folder


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
        _make_durable([self.root / s.temp for s in self.steps if s.new is not None])
        marker = os.open(self.folder / COMMITTED, os.O_WRONLY | os.O_CREAT, 0o644)
        os.fsync(marker)
        os.close(marker)
        _fsync_folder(self.folder)
        try:
            _apply_all(self.root, self.steps, done=set())
        except ConflictError as conflict:
            raise CrmError(conflict.message()) from None

    def discard(self) -> None:
        if self._intent is not None:
            self._intent.close()
            self._intent = None
        if self._created:
            _remove_journal(self.root, self.steps)

    def _stage(self, step: Step) -> Path:
        if self._intent is None:
            state_folder(self.root)
            self.folder.mkdir()  # fails if an unrecovered journal is there: never mix two
            self._created = True
            self._intent = (self.folder / INTENT).open("w", encoding="utf-8")
        self._intent.write(json.dumps(asdict(step), ensure_ascii=False) + "\n")
        self.steps.append(step)
        return self.root / step.temp

    def _refuse_changed(self, path: Path, expected_sha: str | None) -> None:
        if current_sha(path) != expected_sha:
            appeared = expected_sha is None
            raise CrmError(ConflictError(self._relative(path), appeared).message())

    def _relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def _temp_for(self, path: Path) -> str:
        """In the journal, unless the target's folder is on another disk: then beside it."""
        parent = path.parent
        if parent not in self._same_disk:
            parent.mkdir(parents=True, exist_ok=True)
            self._same_disk[parent] = parent.stat().st_dev == self.root.stat().st_dev
        number = len(self.steps)
        if self._same_disk[parent]:
            return f"{STATE_DIR}/{JOURNAL}/{number}.tmp"
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


@dataclass(frozen=True, slots=True)
class Recovery:
    """What `recover` did to an interrupted transaction: forward, back, or discarded."""

    way: str
    files: int

    def message(self) -> str:
        if self.way == "forward":
            text = ngettext(
                "An interrupted write of {count} file was completed.",
                "An interrupted write of {count} files was completed.",
                self.files,
            )
        else:
            text = ngettext(
                "An interrupted write of {count} file was undone.",
                "An interrupted write of {count} files was undone.",
                self.files,
            )
        return text.format(count=self.files)


def has_journal(root: Path) -> bool:
    return journal_folder(root).exists()


def recover(root: Path) -> Recovery | None:
    """Roll an interrupted transaction forward or back; the caller holds the workspace lock."""
    folder = journal_folder(root)
    if not folder.exists():
        return None
    steps = _read_intent(folder)
    if not (folder / COMMITTED).exists():
        _remove_journal(root, steps)
        return Recovery("back", len(steps))
    states = [_state(root, step) for step in steps]
    done = {index for index, state in enumerate(states) if state == "done"}
    if "conflict" not in states:
        try:
            _apply_all(root, steps, done)
            return Recovery("forward", len(steps))
        except ConflictError:
            return Recovery("back", len(steps))
    if all(_can_undo(root, steps[index]) for index in done):
        for index in sorted(done, reverse=True):
            _undo(root, steps[index])
        _remove_journal(root, steps)
        return Recovery("back", len(steps))
    return _keep_aside(root, steps, states)


# applying and undoing one step


def _apply_all(root: Path, steps: Sequence[Step], done: set[int]) -> None:
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
            _undo(root, steps[index])
        _remove_journal(root, steps)
        raise
    _fsync_folders({(root / step.path).parent for step in steps})
    _remove_journal(root, steps)


def _apply(root: Path, step: Step) -> None:
    target, temp = root / step.path, root / step.temp
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


def _undo(root: Path, step: Step) -> None:
    target, temp = root / step.path, root / step.temp
    if step.old is None:
        target.unlink(missing_ok=True)
    elif step.new is None:
        move_no_replace(temp, target)
    else:
        swap(temp, target)


def _state(root: Path, step: Step) -> str:
    """done, pending (can be applied) or conflict (neither: edited since, or a temp lost)."""
    target_sha = current_sha(root / step.path)
    if target_sha == step.new:
        return "done"
    if target_sha == step.old and (step.new is None or current_sha(root / step.temp) == step.new):
        return "pending"
    return "conflict"


def _can_undo(root: Path, step: Step) -> bool:
    return step.old is None or current_sha(root / step.temp) == step.old


def _keep_aside(root: Path, steps: Sequence[Step], states: Sequence[str]) -> Recovery:
    aside = root / STATE_DIR / f"{JOURNAL}-failed-{time.strftime('%Y%m%d-%H%M%S')}"
    journal_folder(root).rename(aside)
    files = ", ".join(
        step.path for step, state in zip(steps, states, strict=True) if state != "done"
    )
    raise CrmError(
        _(
            "an interrupted write can be neither completed nor undone, because files were "
            "changed since: {files}; what they held is kept in {folder}"
        ).format(files=files, folder=aside.relative_to(root).as_posix())
    )


# the journal on disk


def _read_intent(folder: Path) -> list[Step]:
    steps: list[Step] = []
    try:
        lines = (folder / INTENT).read_text(encoding="utf-8").splitlines(keepends=True)
    except FileNotFoundError:
        return steps
    for line in lines:
        if not line.endswith("\n"):
            break  # cut short by the kill, before the commit: its temp file was not written
        steps.append(Step(**json.loads(line)))
    return steps


def _remove_journal(root: Path, steps: Sequence[Step]) -> None:
    folder = journal_folder(root)
    for step in steps:
        if not step.temp.startswith(f"{STATE_DIR}/{JOURNAL}/"):
            (root / step.temp).unlink(missing_ok=True)  # staged beside its target
    (folder / COMMITTED).unlink(missing_ok=True)  # first: a half-removed journal is not committed
    shutil.rmtree(folder, ignore_errors=True)


def _make_durable(paths: Sequence[Path]) -> None:
    if len(paths) > FSYNC_EACH_UP_TO:
        os.sync()
        return
    for path in paths:
        descriptor = os.open(path, os.O_RDONLY)
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


def _fsync_folders(folders: Iterable[Path]) -> None:
    for folder in folders:
        _fsync_folder(folder)
