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
    root: Path,
    workspace: Workspace,
    project: Project,
    old_id: str,
    new_id: str,
    documents: list[RecordFile] | None = None,
) -> list[RecordFile]:
    """The record files that refer to `old_id`, changed in memory to refer to `new_id`;
    `documents` already open (a merge rewrites several ids) are edited instead of reopened.
    A list that already names `new_id` loses `old_id` (a merge leaves no record twice)."""
    documents = [] if documents is None else documents
    for record, key in referrers(workspace, project, old_id):
        document = next((d for d in documents if d.relative == record.path), None)
        if document is None:
            document = RecordFile.open(root / record.path, record.path)
            documents.append(document)
        value = document.get(key)
        if isinstance(value, list):
            _rewrite_items(value, project.key, old_id, new_id)
        else:
            document.set(key, new_id)
    return documents


def _rewrite_items(value: list[Any], project_key: str, old_id: str, new_id: str) -> None:
    for index in reversed(range(len(value))):
        item = value[index]
        if item not in (old_id, f"{project_key}/{old_id}"):
            continue
        replacement = new_id if item == old_id else f"{project_key}/{new_id}"
        if replacement in value:
            del value[index]
        else:
            value[index] = replacement


def _names(value: Any, target: Project, record_id: str, key: str) -> bool:
    ids = reference_ids(value)
    if key == "depends_on":
        return record_id in ids or f"{target.key}/{record_id}" in ids
    return record_id in ids
