"""Everything that runs git."""

from __future__ import annotations

import subprocess
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
        reason = (completed.stderr or completed.stdout).decode("utf-8", "replace").strip()
        command = next((arg for arg in args if not arg.startswith("-")), "")
        raise CrmError(_("git {command} failed: {reason}").format(command=command, reason=reason))
    return completed.stdout


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
