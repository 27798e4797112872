"""The checks that read no computed value applied by a forked child while the fields are
computed here (`check/aside.py`): the same problems, in the same place of the report, and the
same issues of each record for the index, as when they are applied here."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from crmcli.check.aside import ChecksAside
from crmcli.check.workspace import ASIDE_CHECKS, rules_ahead
from crmcli.core.loader import Loader
from crmcli.engine.check_context import CheckContext
from crmcli.engine.compute import Engine
from crmcli.index.session import workspace_today

from .test_check_ahead import broken_project
from .test_parse_pool import with_the_pool


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A large project with broken records, and a notification channel apprise cannot use."""
    root = broken_project(tmp_path_factory.mktemp("aside"))
    config = root / "crm.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("json://localhost:8765/crm", "nope://hooks.example/crm"))
    return root


def context_of(root: Path) -> CheckContext:
    loader = Loader(root, check_ahead=rules_ahead)
    workspace = loader.load()
    context = CheckContext(
        workspace, loader.log, Engine(workspace, loader.log, workspace_today(root))
    )
    context.checked_ahead = loader.checked_ahead
    return context


def found_aside(root: Path) -> tuple[bool, list[str], dict[str, list[str]]]:
    context = context_of(root)
    aside = ChecksAside(context, ASIDE_CHECKS)
    started = aside.started
    problems = [p for found in aside.found() for p in found]
    issues = {path: [repr(p) for p in found] for path, found in context.record_issues.items()}
    return started, [repr(p) for p in problems], issues


def assert_found_here(
    root: Path, problems: list[str], issues: dict[str, list[str]]
) -> CheckContext:
    """That the checks applied in this process find `problems` and `issues`; their context."""
    here = context_of(root)
    before = len(here.log.problems)
    for check in ASIDE_CHECKS:
        check(here)
    assert problems == [repr(p) for p in here.log.problems[before:]]
    assert issues == {path: [repr(p) for p in found] for path, found in here.record_issues.items()}
    return here


def test_the_child_finds_what_this_process_finds(large: Path) -> None:
    started, problems, issues = with_the_pool(lambda: found_aside(large))
    assert started
    here = assert_found_here(large, problems, issues)
    found = {p.code for p in here.log.problems}
    assert {"wrong-type", "dangling-reference", "bad-id", "bad-notify-url"} <= found
    assert len(issues) == sum(len(p.records) for p in here.workspace.projects.values())


def test_without_a_child_the_rules_are_applied_here(large: Path, monkeypatch) -> None:
    monkeypatch.setenv("CRM_PROCESSES", "1")
    started, problems, issues = found_aside(large)
    assert not started
    assert any("dangling-reference" in p for p in problems)
    assert issues


def found_when_the_child_dies(root: Path) -> tuple[bool, list[str], dict[str, list[str]]]:
    os.register_at_fork(after_in_child=lambda: os._exit(3))  # in this forked test process only
    return found_aside(root)


def test_a_child_that_dies_leaves_the_rules_to_this_process(large: Path) -> None:
    started, problems, issues = with_the_pool(lambda: found_when_the_child_dies(large))
    assert started
    assert_found_here(large, problems, issues)
