"""CI integration: the pre-commit hooks and the GitHub Actions example really run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from crmcli.editing.fmt import format_workspace

from .conftest import REPO
from .repos import DEAL, Repo, git

BIN = str(Path(sys.executable).parent)
HOOKS = REPO / ".pre-commit-hooks.yaml"
WORKFLOW = REPO / "docs/ci/github-actions.yml"


def environment(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CRM_WORKSPACE", "CRM_USER")}
    return {**env, "PATH": f"{BIN}:{env['PATH']}", "PRE_COMMIT_HOME": str(tmp_path / "cache")}


def test_the_hooks_manifest_is_valid_for_pre_commit():
    completed = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-manifest", str(HOOKS)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    hooks = {hook["id"]: hook for hook in yaml.safe_load(HOOKS.read_text(encoding="utf-8"))}
    assert hooks["crm-check"]["entry"] == "crm check"
    assert hooks["crm-fmt"]["entry"] == "crm fmt --check"
    assert all(hook["pass_filenames"] is False for hook in hooks.values())


def test_pre_commit_runs_the_hooks_and_blocks_a_broken_record(workspace, tmp_path):
    """The manifest's hooks, run by the real pre-commit framework (as a local repository, so
    that no package is downloaded)."""
    root = workspace()
    repo = Repo(root, root)
    hooks = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    local = [{**hook, "language": "system"} for hook in hooks]
    (root / ".pre-commit-config.yaml").write_text(
        yaml.safe_dump({"repos": [{"repo": "local", "hooks": local}]}), encoding="utf-8"
    )
    format_workspace(root)  # the base workspace's deal lists client before amount
    repo.commit("workspace")
    env = environment(tmp_path)

    def run_hooks() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pre_commit", "run", "--all-files"],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

    clean = run_hooks()
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "crm check" in clean.stdout and "Passed" in clean.stdout
    repo.replace(DEAL, "client: acme", "client: acme-corp")
    broken = run_hooks()
    assert broken.returncode == 1
    assert "dangling-reference" in broken.stdout


def workflow_commands() -> list[str]:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    steps = workflow["jobs"]["review"]["steps"]
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0  # --since needs the history
    return [
        line.strip()
        for step in steps
        for line in step.get("run", "").splitlines()
        if line.strip().startswith("crm ")
    ]


def pull_request(workspace, tmp_path, author: str) -> Path:
    """A clone with origin/main and a feature branch with one commit by `author`."""
    root = workspace()
    origin = Repo(root, root)
    origin.commit("workspace")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(root), str(clone))
    repo = Repo.__new__(Repo)
    repo.top = repo.root = clone
    git(clone, "checkout", "-qb", "feature")
    repo.replace(DEAL, "amount: 12000", "amount: 18000")
    repo.commit("bigger deal", author=author)
    return clone


def run_commands(commands: list[str], cwd: Path, env: dict[str, str]) -> list:
    return [
        subprocess.run(
            ["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, check=False
        )
        for command in commands
    ]


def test_the_github_workflow_commands_run_on_a_pull_request(workspace, tmp_path):
    commands = workflow_commands()
    assert commands == [
        "crm check --format github --since origin/main",
        "crm diff origin/main...HEAD --format markdown > crm-diff.md",
    ]
    clone = pull_request(workspace, tmp_path, author="alice")
    check, diff = run_commands(commands, clone, environment(tmp_path))
    assert check.returncode == 0, check.stdout + check.stderr
    assert diff.returncode == 0, diff.stderr
    comment = (clone / "crm-diff.md").read_text(encoding="utf-8")
    assert comment.startswith("### CRM changes from ")
    assert "amount: 12\u202f000,00\xa0€ → **18\u202f000,00\xa0€**" in comment


def test_the_github_workflow_fails_a_pull_request_that_breaks_a_role(workspace, tmp_path):
    clone = pull_request(workspace, tmp_path, author="bruno")  # a junior changes an amount
    (check, _diff) = run_commands(workflow_commands(), clone, environment(tmp_path))
    assert check.returncode == 1
    assert check.stdout.startswith("::error file=opportunities/acme-website.yaml,line=6,col=1,")
    assert "Bruno Petit" in check.stdout
