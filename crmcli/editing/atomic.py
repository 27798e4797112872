"""Atomic writes: a file is replaced whole or not at all, and never over a concurrent edit.

New content goes to a temp file beside its target, renamed over it only if the file on disk
is still the one that was read (same sha256); `replace_all` is the same for bytes with no
such check (a report's files). `create_files` is the bulk path of imports:
many new files, none overwriting an existing one.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from crmcli.errors import CrmError
from crmcli.i18n import _


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True, slots=True)
class PendingWrite:
    """New content for a file; expected_sha is the sha256 of what was read (None: a new file)."""

    path: Path
    text: str
    expected_sha: str | None


def write_atomically(path: Path, text: str, expected_sha: str | None) -> None:
    """Replace `path` with `text` via a temp file in the same folder, unless it changed since
    it was read (then nothing is written)."""
    write_all_atomically([PendingWrite(path, text, expected_sha)])


def write_all_atomically(writes: Sequence[PendingWrite]) -> None:
    """All the files or none: every file is checked against what was read, every new content
    goes to a temp file beside its target, and only then are the temp files renamed into place."""
    for write in writes:
        _refuse_stale(write.path, write.expected_sha)
    replace_all({write.path: write.text.encode("utf-8") for write in writes})


def replace_all(files: Mapping[Path, bytes]) -> None:
    """All the files or none, whatever they held before (a report's pages and charts):
    every content goes to a temp file beside its target, then the temp files are renamed."""
    staged: list[tuple[Path, Path]] = []
    try:
        for path, content in files.items():
            staged.append((_write_temporary(path, content), path))
    except BaseException:
        for temporary, _target in staged:
            temporary.unlink(missing_ok=True)
        raise
    for temporary, target in staged:
        temporary.replace(target)


def _refuse_stale(path: Path, expected_sha: str | None) -> None:
    if _current_sha(path) == expected_sha:
        return
    if expected_sha is None:
        raise CrmError(_("{path} already exists").format(path=path.name))
    raise CrmError(
        _(
            "{path} was changed by someone else since it was read; nothing was written, try again"
        ).format(path=path.name)
    )


def _write_temporary(path: Path, content: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    temporary = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.chmod(path.stat().st_mode & 0o7777 if path.exists() else 0o644)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def _current_sha(path: Path) -> str | None:
    try:
        return sha256(path.read_bytes())
    except FileNotFoundError:
        return None


def create_files(files: Iterable[tuple[Path, str]], staging: Path) -> int:
    """Create many new files, each whole or not at all, none overwriting an existing file.

    Each file is written to a temp file in `staging` (a folder on the same disk, such as the
    workspace's .crm/) and hard-linked to its name, which fails if the name exists. Staging
    outside the target folder keeps that folder's index from churning: with 100,000 files in
    one folder, temp files beside them make the batch four times slower. Durability: files
    are not fsynced one by one (that would cost more than everything else in a 100,000-record
    import); the batch is flushed to disk once at the end with sync(). A crash before that may
    lose files of the batch, but never leaves one half written where a reader sees it, and
    never touches an existing file. Plain os calls on str paths: an import waits on this loop.
    """
    count = 0
    with tempfile.TemporaryDirectory(dir=staging, prefix="new-files-") as folder:
        temporary = f"{folder}{os.sep}record.tmp"
        for path, text in files:
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            try:
                with os.fdopen(descriptor, "wb") as handle:
                    handle.write(text.encode("utf-8"))
                _link(temporary, str(path))
            finally:
                os.unlink(temporary)  # noqa: PTH108 — str paths, see above
            count += 1
    os.sync()
    return count


def _link(temporary: str, target: str) -> None:
    try:
        os.link(temporary, target)
    except FileExistsError:
        raise CrmError(_("{path} already exists").format(path=Path(target).name)) from None
    except OSError as error:
        if error.errno != errno.EXDEV:
            raise
        # the target folder is on another disk (a mount point): stage beside it
        beside = f"{target}.{os.getpid()}.tmp"
        shutil.copyfile(temporary, beside)
        try:
            _link(beside, target)
        finally:
            os.unlink(beside)  # noqa: PTH108
