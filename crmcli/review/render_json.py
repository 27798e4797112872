"""`crm diff --format json` and `crm log --format json`: a review as JSON-ready data, raw values
next to the formatted ones."""

from __future__ import annotations

from typing import Any

from crmcli.review.changes import RecordChange, ValueChange
from crmcli.review.diff import Review


def review_data(review: Review) -> dict[str, Any]:
    """The review as JSON-ready data (raw values next to the formatted ones)."""
    return {
        "base": review.base,
        "target": review.target,
        "records": [record_data(r) for r in review.records],
        "other_files": [
            {"status": status, "path": path, "old_path": old}
            for status, path, old in review.other_files
        ],
        "pipeline": {
            "scope": "all" if review.totals else "changed",
            "projects": [
                {
                    "project": f.project,
                    "pipeline_value": {"before": f.pipeline_before, "after": f.pipeline_after},
                    "weighted_forecast": {"before": f.weighted_before, "after": f.weighted_after},
                }
                for f in review.pipelines
            ],
        },
    }


def record_data(change: RecordChange) -> dict[str, Any]:
    def values(items: list[ValueChange]) -> list[dict[str, Any]]:
        return [
            {
                "field": v.field,
                "label": v.label,
                "before": v.old,
                "after": v.new,
                "before_text": v.before,
                "after_text": v.after,
            }
            for v in items
        ]

    return {
        "status": change.status,
        "ref": change.ref,
        "old_ref": change.old_ref,
        "name": change.name,
        "list": {"before": change.list_before, "after": change.list_after},
        "moved": change.moved,
        "tags": {"added": change.tags_added, "removed": change.tags_removed},
        "fields": values(change.fields),
        "history": {"added": change.history_added, "removed": change.history_removed},
        "activities": {"added": change.activities_added, "removed": change.activities_removed},
        "computed": values(change.computed),
        "hidden_changed": change.hidden_changed,
        "problems": change.flags,
        "merged_into": change.merged_into,
        "repointed": change.repointed,
    }
