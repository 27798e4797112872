"""`crm check` starts the save's columns child as soon as every record is read
(`Index.begin_save`), so that it pickles them while the check computes: the index then holds
the columns one process would pickle, and a save that never comes stops the child."""

from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path

from crmcli.core.loader import Loader
from crmcli.index.column_child import ASIDE_FROM, ColumnsAside
from crmcli.index.session import Index

from .conftest import environment
from .generated_workspace import generate
from .test_column_child import columns_table
from .test_parse_pool import with_the_pool

DAY = date(2026, 6, 1)


def read(root: Path) -> tuple[Index, Loader]:
    index = Index.open(root)
    assert index is not None
    loader = Loader(root, reuse=index.reuse())
    return index, loader


def saved_with_the_columns_begun(root: Path) -> int:
    """The child forked by begin_save (0: none), the index saved after it."""
    index, loader = read(root)
    workspace = loader.load()
    index.begin_save(workspace)
    ahead = index._columns_ahead
    assert ahead is not None
    child = ahead[2]._child if isinstance(ahead[2], ColumnsAside) else 0
    index.save(workspace, DAY, {})
    return child


def test_the_columns_begun_early_are_the_ones_one_process_pickles(tmp_path: Path) -> None:
    large = generate(tmp_path / "large", clients=30, deals=ASIDE_FROM + 10)
    alone = shutil.copytree(large, tmp_path / "alone")
    assert with_the_pool(lambda: saved_with_the_columns_begun(large)) != 0
    with environment({"CRM_PROCESSES": "1"}):
        assert saved_with_the_columns_begun(alone) == 0
    assert columns_table(large) == columns_table(alone)


def child_after_a_save_not_kept(root: Path) -> tuple[int, bool]:
    """The child begun, and whether it is gone once the save gave up (the index failed)."""
    index, loader = read(root)
    workspace = loader.load()
    index.begin_save(workspace)
    ahead = index._columns_ahead
    assert ahead is not None and isinstance(ahead[2], ColumnsAside)
    child = ahead[2]._child
    index.fault()
    index.save(workspace, DAY, {})
    try:
        os.waitpid(child, os.WNOHANG)
    except ChildProcessError:
        return child, True  # stopped and waited for by the save
    return child, False


def test_a_save_that_never_comes_stops_the_child(tmp_path: Path) -> None:
    large = generate(tmp_path / "large", clients=30, deals=ASIDE_FROM + 10)
    child, gone = with_the_pool(lambda: child_after_a_save_not_kept(large))
    assert child != 0
    assert gone
    assert not (large / ".crm" / "index.sqlite").exists()
