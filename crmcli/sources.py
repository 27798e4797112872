"""Where the loader reads files from: the working tree, or a git revision.

Both sources answer the same few questions (list a folder, is this a file, give its bytes),
so the workspace as it stood at any commit loads through the same loader and engine as the
working tree: `crm diff A..B`, `crm dashboard --as-of REV` and history-based automations all
use `GitSource`. A git source lists the revision's tree once and reads blobs through one
long-lived `git cat-file` process, so reading a few files of a large revision stays cheap.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Protocol

from .errors import CrmError
from .gitio import git, git_bytes
from .i18n import _
from .yamlio import refuse_large


@dataclass(frozen=True, slots=True)
class Entry:
    name: str
    is_dir: bool


class FileSource(Protocol):
    """Read-only access to the files of a workspace, by path relative to its root."""

    label: str

    def read_bytes(self, relative: str, max_bytes: int) -> bytes: ...

    def is_file(self, relative: str) -> bool: ...

    def is_dir(self, relative: str) -> bool: ...

    def list_dir(self, relative: str) -> list[Entry]: ...


class DiskSource:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.label = str(root)

    def read_bytes(self, relative: str, max_bytes: int) -> bytes:
        path = self.root / relative
        refuse_large(path.stat().st_size, max_bytes)
        return path.read_bytes()

    def is_file(self, relative: str) -> bool:
        return (self.root / relative).is_file()

    def is_dir(self, relative: str) -> bool:
        return (self.root / relative).is_dir()

    def list_dir(self, relative: str) -> list[Entry]:
        try:
            with os.scandir(self.root / relative) as entries:
                return [Entry(e.name, e.is_dir()) for e in entries]
        except (FileNotFoundError, NotADirectoryError):
            return []


class GitSource:
    """The workspace as committed in `revision` of the repository that contains `root`."""

    def __init__(self, root: Path, revision: str) -> None:
        self.root = root
        self.revision = revision
        self.label = f"{revision}"
        self.repository = Path(git(root, "rev-parse", "--show-toplevel").strip())
        prefix = os.path.relpath(root.resolve(), self.repository.resolve())
        self.prefix = "" if prefix == "." else PurePosixPath(prefix).as_posix() + "/"
        self.commit = _resolve_commit(root, revision)
        self._files: dict[str, str] = {}
        self._dirs: dict[str, set[tuple[str, bool]]] = {"": set()}
        self._list_tree()
        self._reader: subprocess.Popen[bytes] | None = None

    def _list_tree(self) -> None:
        output = git_bytes(
            self.repository,
            "ls-tree",
            "-r",
            "-z",
            "--full-tree",
            self.commit,
            "--",
            self.prefix or ".",
        )
        for item in output.split(b"\0"):
            if not item:
                continue
            meta, _tab, raw_path = item.partition(b"\t")
            mode, kind, object_id = meta.decode().split()
            path = raw_path.decode("utf-8", "surrogateescape")
            if not path.startswith(self.prefix) or kind != "blob" or mode == "120000":
                continue
            relative = path[len(self.prefix) :]
            self._files[relative] = object_id
            parts = relative.split("/")
            for depth in range(len(parts)):
                parent = "/".join(parts[:depth])
                self._dirs.setdefault(parent, set()).add((parts[depth], depth < len(parts) - 1))

    def read_bytes(self, relative: str, max_bytes: int) -> bytes:
        object_id = self._files.get(_normal(relative))
        if object_id is None:
            raise FileNotFoundError(relative)
        reader = self._process()
        assert reader.stdin is not None and reader.stdout is not None
        reader.stdin.write(f"info {object_id}\n".encode())
        reader.stdin.flush()
        size = int(reader.stdout.readline().split()[2])
        refuse_large(size, max_bytes)
        reader.stdin.write(f"contents {object_id}\n".encode())
        reader.stdin.flush()
        reader.stdout.readline()
        data = reader.stdout.read(size)
        reader.stdout.read(1)  # the newline after the contents
        return data

    def _process(self) -> subprocess.Popen[bytes]:
        if self._reader is None:
            self._reader = subprocess.Popen(
                ["git", "-C", str(self.repository), "cat-file", "--batch-command"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
        return self._reader

    def close(self) -> None:
        if self._reader is not None:
            self._reader.stdin.close()  # type: ignore[union-attr]
            self._reader.wait()
            self._reader = None

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # at interpreter shutdown the process ends with us
            self.close()

    def is_file(self, relative: str) -> bool:
        return _normal(relative) in self._files

    def is_dir(self, relative: str) -> bool:
        return _normal(relative) in self._dirs

    def list_dir(self, relative: str) -> list[Entry]:
        return [Entry(name, is_dir) for name, is_dir in self._dirs.get(_normal(relative), ())]

    def changed_files(self, other: str) -> list[tuple[str, str, str | None]]:
        """(status, path, old path) of files that differ from revision `other` to this one."""
        output = git_bytes(
            self.repository,
            "diff",
            "--name-status",
            "-z",
            "-M",
            other,
            self.commit,
            "--",
            self.prefix or ".",
        )
        fields = output.split(b"\0")
        changes = []
        index = 0
        while index < len(fields) - 1:
            status = fields[index].decode()
            if status.startswith(("R", "C")):
                old, new = fields[index + 1], fields[index + 2]
                changes.append((status[0], self._strip(new), self._strip(old)))
                index += 3
            else:
                changes.append((status[0], self._strip(fields[index + 1]), None))
                index += 2
        return changes

    def _strip(self, raw: bytes) -> str:
        return raw.decode("utf-8", "surrogateescape")[len(self.prefix) :]


def _normal(relative: str) -> str:
    return "" if relative in (".", "") else relative.strip("/")


def _resolve_commit(root: Path, revision: str) -> str:
    commit = git(
        root, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}", check=False
    ).strip()
    if not commit:
        shallow = git(root, "rev-parse", "--is-shallow-repository", check=False).strip() == "true"
        hint = (
            _(" (this is a shallow clone: fetch more history, e.g. git fetch --unshallow)")
            if shallow
            else ""
        )
        raise CrmError(
            _("unknown revision “{revision}”{hint}").format(revision=revision, hint=hint)
        )
    return commit
