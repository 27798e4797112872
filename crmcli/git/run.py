"""Everything that runs git."""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from crmcli.errors import CrmError
from crmcli.i18n import _


def git(root: Path, *args: str, check: bool = True) -> str:
    """Run git in `root`; CrmError with git's own words when it fails."""
    return git_bytes(root, *args, check=check).decode("utf-8", "replace")


def git_bytes(root: Path, *args: str, check: bool = True) -> bytes:
    """Run git in `root` and return its raw output (paths may not be UTF-8)."""
    completed = _run("-C", str(root), *args)
    if check and completed.returncode != 0:
        _refuse(args, completed.stderr or completed.stdout)
    return completed.stdout


class StartedGit:
    """A git command started now and read later, so that git works while this process does
    something else. Its output goes to a temporary file: git never waits for a reader."""

    def __init__(self, root: Path, *args: str) -> None:
        self._root = root
        self._args = args
        self._process: subprocess.Popen[bytes] | None = None
        try:  # closed by output() or stop(): they outlive this call by design
            self._out = tempfile.TemporaryFile()  # noqa: SIM115
            self._err = tempfile.TemporaryFile()  # noqa: SIM115
        except OSError:  # no temporary folder to write in: git is asked when read
            return
        try:
            self._process = subprocess.Popen(
                ["git", "-C", str(root), *args], stdout=self._out, stderr=self._err
            )
        except FileNotFoundError:
            self._close()
            raise CrmError(_("git is not installed")) from None

    def output(self, check: bool = True) -> bytes:
        """What `git_bytes` would have returned."""
        if self._process is None:
            return git_bytes(self._root, *self._args, check=check)
        try:
            code = self._process.wait()
            self._out.seek(0)
            output = self._out.read()
            if check and code != 0:
                self._err.seek(0)
                _refuse(self._args, self._err.read() or output)
            return output
        finally:
            self._close()

    def stop(self) -> None:
        """Its output is not needed after all."""
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        self._close()

    def _close(self) -> None:
        self._out.close()
        self._err.close()


def _refuse(args: Sequence[str], said: bytes) -> None:
    reason = said.decode("utf-8", "replace").strip()
    command = next((arg for arg in args if not arg.startswith("-")), "")
    raise CrmError(_("git {command} failed: {reason}").format(command=command, reason=reason))


def merge_file(
    ours: Path, base: Path, theirs: Path, labels: Sequence[str], marker_size: int
) -> int:
    """git's own line merge of three files into `ours`; the number of conflicts (negative when
    git could not merge at all). Outside any repository, so it runs where the files are."""
    label_options = [option for label in labels for option in ("-L", label)]
    options = [f"--marker-size={marker_size}", *label_options, str(ours), str(base), str(theirs)]
    return _run("merge-file", *options).returncode


def _run(*args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], capture_output=True, check=False)
    except FileNotFoundError:
        raise CrmError(_("git is not installed")) from None


def config_value(root: Path, key: str) -> str | None:
    try:
        value = git(root, "config", "--get", key, check=False).strip()
    except CrmError:
        return None
    return value or None


def commit_paths(root: Path, paths: Sequence[str], message: str) -> str:
    """Commit exactly `paths` (relative to root; added, changed or deleted); return the hash."""
    if git(root, "rev-parse", "--is-inside-work-tree", check=False).strip() != "true":
        raise CrmError(_("--commit: {path} is not inside a git repository").format(path=root))
    git(root, "add", "-A", "--", *paths)
    git(root, "commit", "--quiet", "--only", "-m", message, "--", *paths)
    return git(root, "rev-parse", "--short", "HEAD").strip()
