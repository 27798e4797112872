"""Git revisions as workspace sources, read like the working tree.

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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from crmcli.core.sources import Entry
from crmcli.core.text_forms import nfc
from crmcli.core.yamlio import YamlDocument, decode_text, parse, refuse_large
from crmcli.errors import CrmError
from crmcli.git.run import StartedGit, git, git_bytes
from crmcli.i18n import _


@dataclass(frozen=True, slots=True)
class FileChange:
    """One file of a `git diff --raw`: paths relative to the repository, blob ids (zeros for a
    side that has no blob, or a working-tree file)."""

    status: str  # A, M, D, R (renamed), C (copied), T (type changed)
    path: str
    old_path: str | None
    old_object: str
    new_object: str


class GitFiles:
    """Files named by git object ids, read through one long-lived `git cat-file` process."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.repository = Path(git(root, "rev-parse", "--show-toplevel").strip())
        prefix = os.path.relpath(root.resolve(), self.repository.resolve())
        self.prefix = "" if prefix == "." else PurePosixPath(prefix).as_posix() + "/"
        self._files: dict[str, str] = {}
        self._dirs: dict[str, set[tuple[str, bool]]] = {"": set()}
        self._reader: subprocess.Popen[bytes] | None = None

    def _index_folders(self) -> None:
        """The folders of the listed files; one pass, cheap enough for 100,000 files."""
        folders = self._dirs
        for relative in self._files:
            parent, _slash, name = relative.rpartition("/")
            entries = folders.get(parent)
            if entries is None:
                entries = folders[parent] = set()
                parts = parent.split("/")
                for depth in range(len(parts)):
                    folders.setdefault("/".join(parts[:depth]), set()).add((parts[depth], True))
            entries.add((name, False))

    def _object_of(self, relative: str) -> str | None:
        """The blob id of a file (relative to the workspace), None if there is no such file."""
        return self._files.get(relative)

    def _folder(self, relative: str) -> list[Entry] | None:
        entries = self._dirs.get(relative)
        return None if entries is None else [Entry(name, is_dir) for name, is_dir in entries]

    def read_bytes(self, relative: str, max_bytes: int) -> bytes:
        object_id = self._object_of(_normal(relative))
        if object_id is None:
            raise FileNotFoundError(relative)
        return self.read_object(object_id, max_bytes)

    def _ask(self, commands: list[str]) -> list[list[str]]:
        """Send `info` commands together (one round trip); the answers, in order: [id, type,
        size], or [name, "missing"]. Batches stay small enough for the pipes never to block."""
        reader = self._process()
        assert reader.stdin is not None and reader.stdout is not None
        answers: list[list[str]] = []
        for start in range(0, len(commands), _BATCH):
            chunk = commands[start : start + _BATCH]
            reader.stdin.write("".join(f"{c}\n" for c in chunk).encode("utf-8", "surrogateescape"))
            reader.stdin.flush()
            answers.extend(
                reader.stdout.readline().decode("utf-8", "surrogateescape").split() for _c in chunk
            )
        return answers

    def _info(self, name: str) -> list[str]:
        return self._ask([f"info {name}"])[0]

    def read_object(self, object_id: str, max_bytes: int) -> bytes:
        return self.read_objects([object_id], max_bytes)[object_id]

    def read_document(self, object_id: str, max_bytes: int) -> YamlDocument:
        """A blob parsed as the loader parses files (YamlReadError when it cannot be)."""
        return parse(nfc(decode_text(self.read_object(object_id, max_bytes))))

    def read_objects(self, object_ids: list[str], max_bytes: int) -> dict[str, bytes]:
        """Blobs by id, read in few round trips; YamlReadError for one over max_bytes."""
        reader = self._process()
        assert reader.stdin is not None and reader.stdout is not None
        sizes = [int(answer[2]) for answer in self._ask([f"info {i}" for i in object_ids])]
        for size in sizes:
            refuse_large(size, max_bytes)
        found: dict[str, bytes] = {}
        for start in range(0, len(object_ids), _BATCH):
            chunk = object_ids[start : start + _BATCH]
            reader.stdin.write("".join(f"contents {i}\n" for i in chunk).encode())
            reader.stdin.flush()
            for object_id, size in zip(chunk, sizes[start : start + _BATCH], strict=True):
                reader.stdout.readline()
                found[object_id] = reader.stdout.read(size)
                reader.stdout.read(1)  # the newline after the contents
        return found

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
        return self._object_of(_normal(relative)) is not None

    def object_id(self, relative: str) -> str | None:
        """The blob id of a file (relative to the workspace): the name of its content."""
        return self._object_of(_normal(relative))

    def is_dir(self, relative: str) -> bool:
        return self._folder(_normal(relative)) is not None

    def list_dir(self, relative: str) -> list[Entry]:
        return self._folder(_normal(relative)) or []

    def diff(self, *diff_args: str) -> list[FileChange]:
        """The files that `git diff --raw` with rename detection reports, e.g. diff(A, B)."""
        return self.diff_changes(git_bytes(self.repository, *self.diff_arguments(*diff_args)))

    def diff_arguments(self, *diff_args: str) -> list[str]:
        return ["diff", "--raw", "-z", "-M", "--no-abbrev", *diff_args, "--", self.prefix or "."]

    def diff_changes(self, output: bytes) -> list[FileChange]:
        """The workspace's files in the output of `diff_arguments`."""
        return [change for change in parse_raw_diff(output) if change.path.startswith(self.prefix)]

    def relative(self, change: FileChange) -> tuple[str, str, str | None]:
        """(status, path, old path) relative to the workspace."""
        old = change.old_path[len(self.prefix) :] if change.old_path else None
        return (change.status, change.path[len(self.prefix) :], old)

    def strip(self, raw: bytes) -> str:
        return raw.decode("utf-8", "surrogateescape")[len(self.prefix) :]


class GitSource(GitFiles):
    """The workspace as committed in `revision` of the repository that contains `root`.

    A file is looked up alone (`REV:path`) until its folder has been asked about a few
    times, then the folder is listed once (`git ls-tree`); `prefetch` looks up many known
    files in one call. So a lazy load of a revision with 100,000 records reads the files it
    uses, not the whole tree: a lookup alone in a folder of 100,000 files costs git ~15 ms,
    listing it ~0.2 s.
    """

    LOOKUPS_BEFORE_LISTING = 8

    def __init__(self, root: Path, revision: str) -> None:
        super().__init__(root)
        self.revision = revision
        self.label = f"{revision}"
        self.commit = resolve_commit(root, revision)
        self._objects: dict[str, str | None] = {}
        self._folders: dict[str, dict[str, bool] | None] = {}  # name → is a folder
        self._links: set[str] = set()  # committed symbolic links: listed, never read
        self._lookups: dict[str, int] = {}
        self._contents: dict[str, bytes] = {}

    def read_bytes(self, relative: str, max_bytes: int) -> bytes:
        data = self._contents.pop(_normal(relative), None)
        if data is None:
            return super().read_bytes(relative, max_bytes)
        refuse_large(len(data), max_bytes)
        return data

    def _object_of(self, relative: str) -> str | None:
        if relative in self._objects:
            return self._objects[relative]
        folder = relative.rpartition("/")[0]
        if folder in self._folders:
            return None
        count = self._lookups[folder] = self._lookups.get(folder, 0) + 1
        if count > self.LOOKUPS_BEFORE_LISTING:
            self._folder(folder)
            return self._objects.get(relative)
        info = self._info(f"{self.commit}:{self.prefix}{relative}")
        self._objects[relative] = info[0] if info[1:2] == ["blob"] else None
        return self._objects[relative]

    def _folder(self, relative: str) -> list[Entry] | None:
        if relative not in self._folders:
            self._folders[relative] = self._list_folder(relative)
        names = self._folders[relative]
        if names is None:
            return None
        child = f"{relative}/" if relative else ""
        return [
            Entry(name, is_dir, _committed_link() if child + name in self._links else "")
            for name, is_dir in names.items()
        ]

    def _list_folder(self, relative: str) -> dict[str, bool] | None:
        folder = f"{self.prefix}{relative}/" if relative else self.prefix or "."
        start = len(self.prefix) + len(relative) + 1 if relative else len(self.prefix)
        child = f"{relative}/" if relative else ""
        names: dict[str, bool] = {}
        objects = self._objects
        for meta, path in self._ls_tree(folder):
            name = path[start:]
            if meta[7:11] == "tree":
                names[name] = True
            elif meta.startswith("120000"):  # a symbolic link: reported, not followed
                names[name] = False
                self._links.add(child + name)
            elif meta[7:11] == "blob":
                names[name] = False
                objects[child + name] = meta[12:]
        return names or None

    def prefetch(self, paths: Iterable[str], max_bytes: int) -> None:
        """Look up and read files known in advance (e.g. those a diff is about) in a few calls;
        files over max_bytes are left for `read_bytes` to refuse."""
        wanted = [p for p in dict.fromkeys(paths) if p not in self._objects]
        for start in range(0, len(wanted), 1000):
            chunk = wanted[start : start + 1000]
            self._objects.update(dict.fromkeys(chunk))
            for meta, path in self._ls_tree(*(self.prefix + p for p in chunk)):
                if meta[7:11] == "blob" and not meta.startswith("120000"):
                    self._objects[path[len(self.prefix) :]] = meta[12:]
        found = {p: self._objects[p] for p in wanted if self._objects.get(p)}
        ids = [i for i in dict.fromkeys(found.values()) if i is not None]
        sizes = dict(
            zip(ids, (int(a[2]) for a in self._ask([f"info {i}" for i in ids])), strict=True)
        )
        blobs = self.read_objects([i for i in ids if sizes[i] <= max_bytes], max_bytes)
        self._contents.update({p: blobs[i] for p, i in found.items() if i in blobs})

    def _ls_tree(self, *paths: str) -> Iterator[tuple[str, str]]:
        """(\"100644 blob <id>\", path) of `git ls-tree` for literal paths; modes have 6 digits."""
        output = git_bytes(
            self.repository,
            "--literal-pathspecs",
            "ls-tree",
            "-z",
            "--full-tree",
            self.commit,
            "--",
            *paths,
        )
        for item in output.decode("utf-8", "surrogateescape").split("\0"):
            meta, _tab, path = item.partition("\t")
            if meta:
                yield meta, path

    def changed_files(self, other: str) -> list[tuple[str, str, str | None]]:
        """(status, path, old path) of files that differ from revision `other` to this one."""
        return [self.relative(change) for change in self.diff(other, self.commit)]


class IndexSource(GitFiles):
    """The workspace as staged in git's index (what `git commit` would record)."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.label = _("the index")
        output = git_bytes(self.repository, "ls-files", "-s", "-z", "--", self.prefix or ".")
        start = len(self.prefix)
        for item in output.decode("utf-8", "surrogateescape").split("\0"):
            meta, _tab, path = item.partition("\t")
            if not meta:
                continue
            mode, object_id, stage = meta.split()
            if stage == "0" and mode != "120000":  # conflicted entries are not staged yet
                self._files[path[start:]] = object_id
        self._index_folders()

    def changed_files(self, other: str) -> list[tuple[str, str, str | None]]:
        """(status, path, old path) of files staged since revision `other`."""
        return [
            self.relative(change)
            for change in self.diff("--cached", resolve_commit(self.root, other))
        ]


def working_tree_changes(root: Path, other: str) -> list[tuple[str, str, str | None]]:
    """(status, path, old path) of the working tree's files that differ from revision `other`,
    new files that git does not track yet included."""
    return started_working_tree_changes(root, other).read()


def started_working_tree_changes(root: Path, other: str) -> StartedChanges:
    """`working_tree_changes`, asked of git now (git compares while this process goes on)."""
    files = GitFiles(root)
    return StartedChanges(
        files,
        StartedGit(files.repository, *files.diff_arguments(resolve_commit(root, other))),
        StartedGit(
            files.repository,
            *("ls-files", "--others", "--exclude-standard", "-z", "--", files.prefix or "."),
        ),
    )


@dataclass(frozen=True, slots=True)
class StartedChanges:
    """The working tree's changes being found by git: the changed files, the untracked ones."""

    files: GitFiles
    diff: StartedGit
    untracked: StartedGit

    def read(self) -> list[tuple[str, str, str | None]]:
        files = self.files
        found = [files.relative(change) for change in files.diff_changes(self.diff.output())]
        new = self.untracked.output().split(b"\0")
        return found + [("A", files.strip(raw), None) for raw in new if raw]

    def stop(self) -> None:
        self.diff.stop()
        self.untracked.stop()


def parse_raw_diff(output: bytes) -> list[FileChange]:
    """`git diff --raw -z` (or the raw part of `git log --raw -z`) → FileChange."""
    fields = output.split(b"\0")
    changes = []
    index = 0
    while index < len(fields) - 1:
        meta = fields[index].lstrip(b"\n").decode()
        if not meta.startswith(":"):
            index += 1
            continue
        _old_mode, _new_mode, old_object, new_object, status = meta[1:].split()
        path = fields[index + 1].decode("utf-8", "surrogateescape")
        if status.startswith(("R", "C")):
            new_path = fields[index + 2].decode("utf-8", "surrogateescape")
            changes.append(FileChange(status[0], new_path, path, old_object, new_object))
            index += 3
        else:
            changes.append(FileChange(status[0], path, None, old_object, new_object))
            index += 2
    return changes


_BATCH = 200  # cat-file commands sent at once: ~20 kB, well under a pipe's buffer


def _committed_link() -> str:
    return _(
        "this is a symbolic link committed to git; crm reads no project or record through a "
        "link (commit the file or folder itself)"
    )


def _normal(relative: str) -> str:
    return "" if relative in (".", "") else relative.strip("/")


def find_commit(root: Path, revision: str = "HEAD") -> str | None:
    """The commit a revision names; None outside a repository, without git, or if none."""
    try:
        commit = git(
            root, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}", check=False
        )
    except CrmError:  # git is not installed
        return None
    return commit.strip() or None


def resolve_commit(root: Path, revision: str) -> str:
    """The commit a revision names; CrmError (with a hint in a shallow clone) if none."""
    commit = find_commit(root, revision)
    if not commit:
        raise CrmError(
            _("unknown revision “{revision}”{hint}").format(
                revision=revision, hint=shallow_hint(root)
            )
        )
    return commit


def shallow_hint(root: Path) -> str:
    """What to add to a message about missing history when the clone is shallow."""
    if git(root, "rev-parse", "--is-shallow-repository", check=False).strip() != "true":
        return ""
    return " " + _("(this is a shallow clone: fetch more history, e.g. git fetch --unshallow)")


def merge_base(root: Path, left: str, right: str) -> str | None:
    """The commit two commits share as their latest ancestor; None when they share none."""
    return git(root, "merge-base", left, right, check=False).strip() or None
