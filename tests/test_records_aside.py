"""The rules of every record applied by a forked child while the fields are computed here
(`check/records_aside.py`): the same problems, in the same place of the report, and the same
issues of each record for the index, as when they are applied here."""

from __future__ import annotations

import os
from pathlib import Path

from crmcli.check.records_aside import RecordsAside
from crmcli.check.workspace import check_records, rules_ahead
from crmcli.core.loader import Loader
from crmcli.engine.check_context import CheckContext
from crmcli.engine.compute import Engine
from crmcli.index.session import workspace_today

from .test_check_ahead import large  # noqa: F401 (a fixture: a large project, broken records)
from .test_parse_pool import with_the_pool


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
    aside = RecordsAside(context, check_records)
    started = aside.started
    problems = aside.found()
    issues = {path: [repr(p) for p in found] for path, found in context.record_issues.items()}
    return started, [repr(p) for p in problems], issues


def test_the_child_finds_what_this_process_finds(large: Path) -> None:  # noqa: F811
    started, problems, issues = with_the_pool(lambda: found_aside(large))
    here = context_of(large)
    before = len(here.log.problems)
    check_records(here)
    assert started
    assert problems == [repr(p) for p in here.log.problems[before:]]
    assert issues == {path: [repr(p) for p in found] for path, found in here.record_issues.items()}
    assert {"wrong-type", "dangling-reference", "bad-id"} <= {p.code for p in here.log.problems}
    assert len(issues) == sum(len(p.records) for p in here.workspace.projects.values())


def test_without_a_child_the_rules_are_applied_here(large: Path, monkeypatch) -> None:  # noqa: F811
    monkeypatch.setenv("CRM_PROCESSES", "1")
    started, problems, issues = found_aside(large)
    assert not started
    assert any("dangling-reference" in p for p in problems)
    assert issues


def found_when_the_child_dies(root: Path) -> tuple[bool, list[str], dict[str, list[str]]]:
    os.register_at_fork(after_in_child=lambda: os._exit(3))  # in this forked test process only
    return found_aside(root)


def test_a_child_that_dies_leaves_the_rules_to_this_process(large: Path) -> None:  # noqa: F811
    started, problems, issues = with_the_pool(lambda: found_when_the_child_dies(large))
    here = context_of(large)
    before = len(here.log.problems)
    check_records(here)
    assert started
    assert problems == [repr(p) for p in here.log.problems[before:]]
    assert issues == {path: [repr(p) for p in found] for path, found in here.record_issues.items()}
