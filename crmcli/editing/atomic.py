"""Atomic writes of one file: replaced whole or not at all, and never over a concurrent edit.

New content goes to a temp file beside its target, renamed over it only if the file on disk
is still the one that was read (same sha256). Several workspace files written as one go
through the journal instead (`editing/journal.py`), which survives a kill midway.
`replace_all` stages a report's files (outside the workspace, so without a journal) and
renames them, whatever they held before.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Mapping
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
    refuse_stale(path, expected_sha)
    replace_all({path: text.encode("utf-8")})


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


def refuse_stale(path: Path, expected_sha: str | None) -> None:
    if current_sha(path) == expected_sha:
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


def current_sha(path: str | os.PathLike[str]) -> str | None:
    """The sha256 of the file at `path`, None if there is none."""
    try:
        with open(path, "rb") as handle:  # noqa: PTH123 — str paths in the journal's loops
            return sha256(handle.read())
    except FileNotFoundError:
        return None
