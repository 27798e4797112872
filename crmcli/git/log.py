"""The one reader of `git log`: commits as data, for `crm log`, `crm check --since`,
`crm automate --since`, the records' timeline and dashboards as of a day.

Every caller asks for the same fields in the same format, so there is one parser; what differs
is only which commits (git's own options) and whether the files each changed come along.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from crmcli.git.run import git_bytes
from crmcli.git.sources import FileChange, parse_raw_diff

NO_OBJECT = "0" * 40  # the blob id of a side that has no file
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"  # the parent of a first commit
_FIELDS = ("%H", "%P", "%an", "%ae", "%aI", "%cn", "%ce", "%cI", "%s")
_FORMAT = "%x01" + "%x1f".join(_FIELDS)


@dataclass(frozen=True, slots=True)
class Commit:
    """One commit; `date` is when its author wrote it, `committed` when it was committed
    (both aware); `changes` are the files it changed when they were asked for."""

    id: str
    parents: tuple[str, ...]
    author: str
    email: str
    date: datetime
    committer: str
    committer_email: str
    committed: datetime
    subject: str
    changes: tuple[FileChange, ...] = ()

    @property
    def short(self) -> str:
        return self.id[:10]


def read_log(
    root: Path, *options: str, paths: Sequence[str] = (), changes: bool = False
) -> list[Commit]:
    """The commits `git log OPTIONS -- PATHS` lists in `root`, with the files each changed
    (paths relative to the repository, blob ids in full) when `changes` is true."""
    return parse_log(git_bytes(root, *log_arguments(*options, paths=paths, changes=changes)))


def log_arguments(*options: str, paths: Sequence[str] = (), changes: bool = False) -> list[str]:
    """git's arguments for `read_log` (for a log started in the background, then parsed)."""
    raw = ("--raw", "--no-abbrev") if changes else ()
    return ["log", f"--format={_FORMAT}", "-z", *raw, *options, "--", *paths]


def parse_log(output: bytes) -> list[Commit]:
    """`git log -z` in this module's format (with or without `--raw`) → commits."""
    commits = []
    for chunk in output.split(b"\x01")[1:]:
        header, _nul, raw = chunk.partition(b"\0")
        parts = header.decode("utf-8", "replace").rstrip("\n").split("\x1f")
        commit_id, parents, author, email, authored, committer, committer_email, committed = parts[
            :8
        ]
        commits.append(
            Commit(
                commit_id,
                tuple(parents.split()),
                author,
                email,
                datetime.fromisoformat(authored),
                committer,
                committer_email,
                datetime.fromisoformat(committed),
                "\x1f".join(parts[8:]),
                tuple(parse_raw_diff(raw)),
            )
        )
    return commits
