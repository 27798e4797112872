"""Real git repositories for the review tests: commits by several authors, files edited the way
people edit them (a line replaced, a file renamed)."""

from __future__ import annotations

import os
import subprocess
import textwrap
from pathlib import Path

AUTHORS = {
    "alice": ("Alice Martin", "alice@agency.example"),
    "bruno": ("Bruno Petit", "bruno@agency.example"),
    "eve": ("Eve Outsider", "eve@elsewhere.example"),
}
DEAL = "opportunities/acme-website.yaml"


def git(
    root: Path,
    *args: str,
    check: bool = True,
    env: dict[str, str] | None = None,
    when: str | None = None,
) -> str:
    """`git -C root ARGS` → its output; `env` adds variables, `when` dates a commit (author and
    committer); a failure fails the test with git's message."""
    dates = {"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when} if when else {}
    completed = subprocess.run(
        ["git", "-C", str(root), *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {}), **dates},
    )
    if check and completed.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {completed.stderr}")
    return completed.stdout


def commit(root: Path, message: str, when: str | None = None) -> None:
    """Commit everything under root, dated `when` if given."""
    git(root, "add", "-A")
    git(root, "commit", "-qm", message, when=when)


class Repo:
    """A git repository around a workspace (the workspace may be a subfolder)."""

    def __init__(self, top: Path, workspace: Path) -> None:
        self.top = top
        self.root = workspace
        git(top, "init", "-q", "-b", "main")
        git(top, "config", "user.email", AUTHORS["alice"][1])
        git(top, "config", "user.name", AUTHORS["alice"][0])
        git(top, "config", "commit.gpgsign", "false")

    def commit(self, message: str, author: str = "alice") -> str:
        name, email = AUTHORS[author]
        git(self.top, "add", "-A")
        git(
            self.top,
            "-c",
            f"user.name={name}",
            "-c",
            f"user.email={email}",
            "commit",
            "-qm",
            message,
        )
        return git(self.top, "rev-parse", "--short=10", "HEAD").strip()

    def write(self, relative: str, text: str) -> None:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")

    def replace(self, relative: str, old: str, new: str) -> None:
        path = self.root / relative
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {relative}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    def git(self, *args: str, check: bool = True) -> str:
        return git(self.root, *args, check=check)
