"""Dashboards and reminders are made with the cycle collector paused (core/collector.py), and
a failing block gives it back."""

from __future__ import annotations

import gc
import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from crmcli.automations.runs import RunOptions, remind
from crmcli.core.collector import collector_paused
from crmcli.reports.report import ReportRequest, build_report

from .conftest import SAMPLE

NOW = "2026-11-23T12:00:00+01:00"


def test_collection_is_restored_when_the_block_fails() -> None:
    try:
        with collector_paused():
            raise ValueError("bad input")
    except ValueError:
        pass
    assert gc.isenabled()


def collections_during(work: Callable[[], object]) -> int:
    """How many automatic collections ran while `work` ran (the second time: imports are
    done). They start at the youngest generation; matplotlib's own `gc.collect(1)` when a
    figure is closed is asked for, not automatic. One may start as the block ends, over
    what the whole block allocated."""
    work()
    started: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and info["generation"] == 0:
            started.append(info["generation"])

    gc.callbacks.append(count)
    try:
        work()
    finally:
        gc.callbacks.remove(count)
    return len(started)


def test_a_dashboard_is_built_without_collecting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRM_NOW", NOW)
    request = ReportRequest("sales", out=tmp_path)
    assert collections_during(lambda: build_report(SAMPLE, request)) <= 1
    assert (tmp_path / "sales.html").is_file()


def test_a_reminder_run_is_made_without_collecting(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    shutil.copytree(SAMPLE, workspace)
    options = RunOptions(datetime.fromisoformat(NOW), dry_run=True)
    assert collections_during(lambda: remind(workspace, options)) <= 1
