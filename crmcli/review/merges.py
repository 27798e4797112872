"""A merge (`crm merge`) as one event in a review: “merged X into Y, 3 records re-pointed”.

A record removed in a change is taken for merged into a record of its project when the change
re-points references from the one to the other, or when that record took over the removed
one's whole history. The references re-pointed are counted under the merge instead of being
listed as edits of each record that referred to it; what else those records changed stays.
A removed record with neither sign (no references, no history) stays a removal.
"""

from __future__ import annotations

from collections import defaultdict

from crmcli.core.model import Workspace
from crmcli.fields.references import reference_ids
from crmcli.review.changes import CHANGED, MERGED, REMOVED, RecordChange


def fold_merges(records: list[RecordChange], workspace: Workspace) -> list[RecordChange]:
    """The changes with each merge as one: the removed record becomes MERGED into the kept one,
    and the re-pointing edits of the records that referred to it are folded into it."""
    removed = {change.ref: change for change in records if change.status == REMOVED}
    if not removed:
        return records
    repointed: dict[str, set[str]] = defaultdict(set)  # merged ref → records re-pointed
    for change in records:
        if change.status == CHANGED:
            _fold_references(change, removed, workspace, repointed)
    for change in records:
        if change.status == CHANGED:
            _take_history(change, removed)
    for ref, referrers in repointed.items():
        removed[ref].repointed = len(referrers)
    return records  # the referrers' changes left empty are left out with the others


def _fold_references(
    change: RecordChange,
    removed: dict[str, RecordChange],
    workspace: Workspace,
    repointed: dict[str, set[str]],
) -> None:
    project = workspace.project(change.project)
    kept_fields = []
    for value in change.fields:
        definition = project.fields.get(value.field) if project else None
        target = (
            definition.target_project if definition and definition.type == "reference" else None
        )
        old, new = set(reference_ids(value.old)), set(reference_ids(value.new))
        gone = [f"{target}/{i}" for i in old - new if f"{target}/{i}" in removed]
        if (
            target is None
            or not gone
            or not new
            or not old - new <= {r.split("/")[1] for r in gone}
        ):
            kept_fields.append(value)
            continue
        survivor = sorted(new - old) or sorted(new)
        for ref in gone:
            removed[ref].status = MERGED
            removed[ref].merged_into = removed[ref].merged_into or f"{target}/{survivor[0]}"
            repointed[ref].add(change.ref)
    change.fields = kept_fields


def _take_history(change: RecordChange, removed: dict[str, RecordChange]) -> None:
    for candidate in removed.values():
        if (
            candidate.project == change.project
            and candidate.history_removed
            and candidate.merged_into in (None, change.ref)
            and all(entry in change.history_added for entry in candidate.history_removed)
        ):
            candidate.status = MERGED
            candidate.merged_into = change.ref
