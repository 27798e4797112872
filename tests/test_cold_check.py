"""A cold `crm check` of a large project: the parse workers type the dates, pickle the data
and digest the bytes they read, the index keeps those very pickles and digests, and the
cyclic collector pauses while the workspace is read and computed.

The report stays byte for byte the one a single process gives (tests/test_parse_pool.py);
here: what the workers send is what the loader and the index would make themselves.
"""

from __future__ import annotations

import gc
import shutil
from datetime import date
from functools import partial
from pathlib import Path

import pytest

from crmcli.core.collector import collector_paused
from crmcli.core.lazy_records import read_dates
from crmcli.core.parse_pool import POOL_FROM, ReadAhead, parse_files
from crmcli.core.sources import DiskSource
from crmcli.core.yamlio import MAX_RECORD_BYTES, parse
from crmcli.index.freshness import file_digest
from crmcli.index.pickles import loads
from crmcli.index.session import Index
from crmcli.index.store import IndexStore

from .conftest import crm
from .generated_workspace import generate
from .test_parse_pool import with_the_pool

QUOTED = "zz-quoted-date.yaml"


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = generate(tmp_path_factory.mktemp("cold"), clients=60, deals=POOL_FROM + 50)
    client = sorted((root / "clients").glob("[!_]*.yaml"))[0].stem
    (root / "opportunities" / QUOTED).write_text(
        f'name: Quoted\nlist: Won\nclient: {client}\nclose_date: "2025-10-15"\n'
    )
    return root


def read_ahead(root: Path, relatives: list[str]) -> dict[str, tuple[bytes, object]]:
    """(digest, data) of each file the pool read."""
    prepare = partial(read_dates, fields=[("close_date", date.fromisoformat)])

    def answers() -> dict[str, tuple[bytes, object]]:
        parsed = parse_files(DiskSource(root), relatives, MAX_RECORD_BYTES, prepare)
        return {
            relative: (found.digest, found.document.data)
            for relative, found in parsed.items()
            if isinstance(found, ReadAhead)
        }

    return with_the_pool(answers)


def test_workers_send_the_digest_of_the_bytes_and_the_prepared_data(large: Path) -> None:
    relatives = sorted(
        f"opportunities/{p.name}" for p in (large / "opportunities").glob("[!_]*.yaml")
    )
    answers = read_ahead(large, relatives)
    assert sorted(answers) == relatives
    for relative, (digest, data) in answers.items():
        assert digest == file_digest(large / relative)
        expected = parse((large / relative).read_text()).data
        read_dates(expected, [("close_date", date.fromisoformat)])
        assert data == expected
    assert answers[f"opportunities/{QUOTED}"][1]["close_date"] == date(2025, 10, 15)


def rows(root: Path) -> dict[str, tuple[object, ...]]:
    store = IndexStore.open(root)
    assert store is not None
    try:
        return {
            r.path: (r.digest, loads(r.data) if r.data else None, loads(r.problems), r.issues)
            for r in store.rows()
        }
    finally:
        store.close()


def test_the_index_of_a_pooled_check_is_the_one_a_single_process_builds(
    large: Path, tmp_path: Path
) -> None:
    alone = shutil.copytree(large, tmp_path / "alone")
    pooled = crm("-C", large, "check", "--format", "json", env={"CRM_PROCESSES": "2"})
    single = crm("-C", alone, "check", "--format", "json", env={"CRM_PROCESSES": "1"})
    assert pooled.stdout == single.stdout
    found = rows(large)
    assert len(found) > POOL_FROM
    assert found == rows(alone)
    index = Index.open(large)  # files just written are racy: their digests are compared
    assert index is not None and index.everything_fresh
    index.store.close()


def test_the_collector_pauses_and_freezes_what_was_read() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
        made = [{"name": str(n)} for n in range(1000)]
    assert gc.isenabled()
    frozen = gc.get_freeze_count()
    assert frozen >= len(made)
    with collector_paused():  # given back to the collector first, then frozen again
        assert gc.get_freeze_count() == 0
    assert gc.isenabled() and gc.get_freeze_count() >= frozen
    gc.unfreeze()
