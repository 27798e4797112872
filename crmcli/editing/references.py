"""Who refers to a record: `crm rm` refuses to leave references dangling, `crm rename`
rewrites them to the new id."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from crmcli.core.model import Project, Record, Workspace
from crmcli.editing.writer import RecordFile
from crmcli.errors import CrmError
from crmcli.fields.references import reference_ids
from crmcli.i18n import _


def referrers(
    workspace: Workspace, project: Project, record_id: str, strict: bool = True
) -> list[tuple[Record, str]]:
    """Every (record, field) whose reference names project/record_id. strict: refuse when
    a record that could refer to it cannot be read (its references are unknown)."""
    found, unreadable = [], []
    for other in workspace.projects.values():
        keys = [
            f.key
            for f in other.fields.values()
            if f.type == "reference" and f.target_project == project.key
        ]
        if other is project and "depends_on" in other.fields:
            keys.append("depends_on")
        if not keys:
            continue
        for candidate_id in list(other.records):
            try:
                candidate = other.records[candidate_id]
            except KeyError:
                unreadable.append(f"{other.key}/{candidate_id}.yaml")
                continue
            for key in keys:
                if _names(candidate.data.get(key), project, record_id, key):
                    found.append((candidate, key))
    if unreadable and strict:
        raise CrmError(
            _(
                "cannot tell whether these records refer to {ref}, they are not valid YAML "
                "(run crm check); fix them first, nothing was changed:"
            ).format(ref=f"{project.key}/{record_id}")
            + "\n  "
            + "\n  ".join(unreadable)
        )
    return found


def reference_rewrites(
    root: Path, workspace: Workspace, project: Project, old_id: str, new_id: str
) -> list[RecordFile]:
    """The record files that refer to `old_id`, changed in memory to refer to `new_id`."""
    documents: list[RecordFile] = []
    for record, key in referrers(workspace, project, old_id):
        document = RecordFile.open(root / record.path, record.path)
        value = document.get(key)
        if isinstance(value, list):
            for index, item in enumerate(value):
                if item == old_id or item == f"{project.key}/{old_id}":
                    value[index] = new_id if item == old_id else f"{project.key}/{new_id}"
        else:
            document.set(key, new_id)
        if all(d.path != document.path for d in documents):
            documents.append(document)
        else:  # the same record refers twice (two fields): edit the one document
            existing = next(d for d in documents if d.path == document.path)
            existing.set(key, document.get(key))
    return documents


def _names(value: Any, target: Project, record_id: str, key: str) -> bool:
    ids = reference_ids(value)
    if key == "depends_on":
        return record_id in ids or f"{target.key}/{record_id}" in ids
    return record_id in ids
