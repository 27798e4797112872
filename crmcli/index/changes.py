"""Which record files changed since the index last saw them, without reading its rows.

The last save kept the stat key of every record file (`meta files`) and the content digest
of the racy ones (`meta racy`): a file is unchanged when its stat key is the one kept and,
racy, its content still has the digest kept: decided from two meta values instead of a
hundred thousand rows. So a command after ten hand edits
compares two dictionaries and hashes the few racy files, and knows which ten to read.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crmcli.core.model import Record, Workspace
from crmcli.engine.compute import Failed
from crmcli.engine.types import FieldKey
from crmcli.errors import Problem
from crmcli.index.columns import ColumnSet
from crmcli.index.freshness import (
    Listing,
    Scan,
    StatKey,
    file_digest,
    is_racy,
    watched_state,
)
from crmcli.index.pickles import NO_PROBLEMS, dumps, loads
from crmcli.index.record_links import document_fields, documents, reference_fields, references
from crmcli.index.records import ReadFile
from crmcli.index.store import FileRow, IndexStore, Reference

if TYPE_CHECKING:
    from crmcli.index.session import Index


@dataclass(frozen=True, slots=True)
class FileChanges:
    """Record files new or edited since the last save (`changed`; `added`: those it did not
    know) and gone since (`removed`)."""

    changed: frozenset[str]
    added: frozenset[str]
    removed: frozenset[str]

    @property
    def all(self) -> frozenset[str]:
        return self.changed | self.removed


def file_changes(
    root: Path, store: IndexStore, found: Scan, saved: dict[str, Listing] | None
) -> FileChanges:
    """The record files whose rows no longer say what they hold, from the listing the last
    save saw (`saved`; else its stat keys, a larger meta value) and the digests of its racy
    files (raises INDEX_FAULTS)."""
    changed: set[str] = set()
    added: set[str] = set()
    removed: set[str] = set()
    if saved is None:
        kept = store.meta("files")
        if kept is None:  # never saved (a cold command): every file is new, none to compare
            every = frozenset(found.files)
            return FileChanges(every, every, frozenset())
        saved = {"": _as_listing(kept)}
        now = {"": _as_listing(found.files)}
    else:
        now = found.listing
    for key in now.keys() | saved.keys():
        names, keys = now.get(key, ((), ()))
        old_names, old_keys = saved.get(key, ((), ()))
        if names == old_names and keys == old_keys:
            continue
        prefix = f"{key}/" if key else ""
        if names == old_names:  # the same files: compare their stat keys in place
            changed.update(
                prefix + names[at // 4]
                for at in range(0, len(keys), 4)
                if keys[at : at + 4] != old_keys[at : at + 4] or keys[at] < 0
            )
            continue
        before, after = _stat_keys(old_names, old_keys), _stat_keys(names, keys)
        changed.update(
            prefix + name for name, stat in after.items() if stat[0] < 0 or before.get(name) != stat
        )
        added.update(prefix + name for name in after.keys() - before.keys())
        removed.update(prefix + name for name in before.keys() - after.keys())
    racy: dict[str, bytes] = store.meta("racy") or {}
    changed.update(
        path
        for path, digest in racy.items()
        if path not in removed and path not in changed and file_digest(root / path) != digest
    )
    return FileChanges(frozenset(changed), frozenset(added), frozenset(removed))


def _as_listing(files: dict[str, StatKey]) -> Listing:
    return tuple(files), tuple(value for stat in files.values() for value in stat)


def _stat_keys(names: tuple[str, ...], keys: tuple[int, ...]) -> dict[str, tuple[int, ...]]:
    """Each file's stat key (a negative size: no file to read, never unchanged)."""
    return {name: keys[4 * at : 4 * at + 4] for at, name in enumerate(names)}


def holding(
    store: IndexStore, project_key: str, field_key: str, overlay: frozenset[str]
) -> set[str]:
    """The record files of a project whose field `field_key` holds something, from its
    columns, and every file changed since they were built (read from its row)."""
    with store.snapshot():  # the ids and the field's column of one save
        columns = ColumnSet(lambda name: store.column(project_key, name))
        values = columns.column(field_key)
    found = set(overlay)
    found.update(
        f"{project_key}/{record_id}.yaml"
        for record_id, value in zip(columns.ids, values, strict=False)
        if value
    )
    return found


def save_changes(
    index: Index,
    workspace: Workspace,
    counts: dict[str, int],
    changes: FileChanges,
    read: dict[str, ReadFile],
    recomputed: dict[str, Record],
    issues: dict[str, list[Problem]],
    failures: dict[FieldKey, dict[str, Failed]],
    checked: list[Problem],
    parts: list[list[Problem]],
    state: str,
) -> str:
    """Keep an incremental check: the rows of the changed files (`read`), of the records
    computed again or whose rules were checked again when what is kept of them changed, and
    the meta values that follow, in one transaction; the other rows stay as they are.
    Nothing is kept if another command saved since the last check (`state`): this one's
    answer was made from what that one replaced. The state saved (another command's, then,
    and what is read later from the index no longer comes from the save this run served)."""
    store = index.store
    rows: list[FileRow] = []
    kept: list[Reference] = []

    def keep(row: FileRow, record: Record | None) -> None:
        rows.append(row)
        if record is not None:
            fields = reference_fields(workspace.projects[record.project], frozenset())
            kept.extend(references(fields, record))

    for path, file in read.items():
        row, record = file.row, file.record
        if record is not None:
            row.data = dumps(record.data)
            row.computed = dumps(record.computed)
            row.issues = dumps(issues[path]) if issues.get(path) else NO_PROBLEMS
        keep(row, record)
    for row in store.rows(sorted((recomputed.keys() | issues.keys()) - read.keys())):
        record = workspace.projects[row.project].records.get(row.record_id)
        before = (row.computed, row.issues)
        if record is not None and row.path in recomputed:
            row.computed = dumps(record.computed)
        if row.path in issues:
            row.issues = dumps(issues[row.path]) if issues[row.path] else NO_PROBLEMS
        if (row.computed, row.issues) != before:
            keep(row, record)
    meta = _meta(index, workspace, changes, read, checked, parts, failures)
    meta["counts"] = {key: count for key, count in counts.items() if count}
    store.save(rows, changes.removed, kept, meta, after=state)
    return str(meta["state"])


def _meta(
    index: Index,
    workspace: Workspace,
    changes: FileChanges,
    read: dict[str, ReadFile],
    checked: list[Problem],
    parts: list[list[Problem]],
    failures: dict[FieldKey, dict[str, Failed]],
) -> dict[str, Any]:
    """The meta values an incremental save changes, from those the last save kept."""
    store, touched = index.store, changes.all
    racy = {p: d for p, d in (store.meta("racy") or {}).items() if p not in touched}
    racy.update((path, file.row.digest) for path, file in read.items() if is_racy(file.row))
    left_out = [p for p in store.meta("left_out") or () if p not in touched]
    left_out += [path for path, file in read.items() if file.record is None]
    file_problems = [p for p in store.meta("file_problems") or () if p.path not in touched]
    for file in read.values():
        if file.row.problems != NO_PROBLEMS:
            file_problems.extend(loads(file.row.problems))
    file_problems.sort(key=lambda p: p.path.partition("/"))  # the loader's order of files
    overlays = store.meta("columns") or {}
    for path in touched:
        key = path.partition("/")[0]
        if key in overlays:
            overlays[key] = overlays[key] | {path}
    fields = {key: document_fields(p) for key, p in workspace.projects.items()}
    meta: dict[str, Any] = {}
    known = store.meta("watched_paths") or []
    watched = set(known)
    for file in read.values():
        if file.record is not None:
            watched.update(documents(fields[file.record.project], file.record))
    if len(watched) > len(known):  # documents no record named before: their state now
        meta["watched_paths"] = sorted(watched)
        meta["watched"] = watched_state(index.root, watched)
    state = os.urandom(8).hex()
    return meta | {  # every file has the stat it was scanned with: unchanged, or read now
        "listing": index.scan.listing,
        "listing_digest": index.scan.digest,
        "files": index.scan.files,
        "racy": racy,
        "file_problems": file_problems,
        "left_out": left_out,
        "state": state,
        "checked": checked,
        "checked_state": state,
        "check_parts": parts,
        "failures": failures,
        "columns": overlays,
    }
