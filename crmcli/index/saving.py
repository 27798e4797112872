"""What one run keeps in the index: the rows whose values changed (with the references they
make), the state the next run compares itself against, and the columns built again. The
session (`index/session.py`) decides whether to save; this says what is saved."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from crmcli.core.model import Workspace
from crmcli.engine.compute import Failed
from crmcli.engine.types import FieldKey
from crmcli.errors import Problem
from crmcli.index.columns import rebuilt_columns
from crmcli.index.freshness import Scan, is_racy, settled, stat_key, watched_state
from crmcli.index.pickles import NO_PROBLEMS, dumps, loads
from crmcli.index.record_links import document_fields, documents, reference_fields, references
from crmcli.index.records import Reuse
from crmcli.index.store import INDEX_FAULTS, FileRow, IndexStore, Reference

# what a save keeps of the columns: the files gone, the overlays, the columns
SaveColumns = tuple[
    set[str],
    dict[str, frozenset[str]],
    dict[str, Iterable[tuple[str, bytes]] | None],
]


@dataclass(slots=True)
class SavedRows:
    """Every row of the run, those written (their values changed), the references of the
    records written, and the documents `files` fields name."""

    rows: list[FileRow] = field(default_factory=list)
    written: list[FileRow] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    watched: set[str] = field(default_factory=set)


def saved_rows(
    reuse: Reuse,
    workspace: Workspace,
    seen_ns: int,
    secrets: bool,
    recomputed: set[str] | None,
    issues: dict[str, list[Problem]] | None,
) -> SavedRows:
    """`recomputed`: the records whose computed values this run computed (None: all);
    `issues`: each record's issues, when this run checked them (`crm check`)."""
    saved = SavedRows()
    files_fields = {key: document_fields(p) for key, p in workspace.projects.items()}
    hidden = workspace.sealing.fields if secrets else frozenset()
    linking = {key: reference_fields(p, hidden) for key, p in workspace.projects.items()}
    for path, read in reuse.read.items():
        row, record = read.row, read.record
        before = (row.computed, row.issues) if path in reuse.rows else None
        if before is not None and is_racy(row) and settled(stat_key(row), seen_ns):
            row.seen_ns, before = seen_ns, None  # its content was checked at this scan
        if record is not None:
            if row.data is None:  # parsed by this run
                row.data = dumps(record.data)
            if not secrets:
                if recomputed is None or path in recomputed or row.computed is None:
                    row.computed = dumps(record.computed)
                saved.watched.update(documents(files_fields[record.project], record))
            if issues is not None:
                found = issues.get(row.path)
                row.issues = dumps(found) if found else NO_PROBLEMS
        if before != (row.computed, row.issues):
            saved.written.append(row)
            if record is not None:
                saved.references.extend(references(linking[record.project], record))
        saved.rows.append(row)
    return saved


def saved_state(
    root: Path,
    found: Scan,
    saved: SavedRows,
    today: date,
    failures: dict[FieldKey, dict[str, Failed]] | None,
    checked: list[Problem] | None,
    parts: list[list[Problem]] | None,
    secrets: bool,
) -> dict[str, Any]:
    """The index's metadata after this run: what the next run compares itself against."""
    rows = saved.rows
    state = os.urandom(8).hex()
    files = {r.path: stat_key(r) for r in rows}
    same_scan = files == found.files  # the scan is what the saved rows saw
    return {
        # the next run's one comparison
        "listing": found.listing if same_scan else None,
        "listing_digest": found.digest if same_scan else None,
        "fingerprint": found.fingerprint,
        "files": files,
        "racy": {r.path: r.digest for r in rows if is_racy(r)},
        "counts": dict(Counter(r.project for r in rows if r.data is not None)),
        "file_problems": [  # in the loader's order
            p for r in rows if r.problems != NO_PROBLEMS for p in loads(r.problems)
        ],
        "left_out": [r.path for r in rows if r.data is None],
        "today": today,
        "state": state,
        "watched_paths": sorted(saved.watched),
        "watched": watched_state(root, saved.watched),
        "checked": checked,
        "checked_state": state if checked is not None else None,
        "check_parts": parts,
        "failures": None if secrets else failures,
        "secrets": secrets,
    }


def save_columns(
    store: IndexStore, reuse: Reuse, workspace: Workspace, secrets: bool
) -> SaveColumns | None:
    """The files gone since the last save, the columns' overlays and the columns; None when
    the index fails."""
    try:
        removed = set(store.meta("files") or ()) - set(reuse.read)
        overlays = store.meta("columns") or {}
    except INDEX_FAULTS:
        return None
    columns = _columns(reuse, workspace, overlays, removed, secrets)
    return removed, overlays, columns


def _columns(
    reuse: Reuse,
    workspace: Workspace,
    overlays: dict[str, frozenset[str]],
    removed: set[str],
    secrets: bool,
) -> dict[str, Iterable[tuple[str, bytes]] | None]:
    """The projects whose columns are built again (`overlays` updated in place): those
    with none yet, and those where too many files changed since they were built."""
    if secrets:  # records hold opened values here: their columns would too
        dropped = dict.fromkeys({*overlays, *workspace.projects})
        overlays.clear()
        return dropped
    changed: dict[str, set[str]] = {key: set() for key in workspace.projects}
    for path in (*removed, *(p for p in reuse.read if p not in reuse.rows)):
        project_key = path.partition("/")[0]
        if project_key in changed:
            changed[project_key].add(path)
    return rebuilt_columns(workspace.projects, overlays, changed)
