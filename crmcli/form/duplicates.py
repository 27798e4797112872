"""Likely duplicates (`crmcli.duplicates`, as `crm add` and `crm import` find them): a new
record that resembles an existing one is flagged, not silently added twice, and not refused
either (the visitor may be a known client).

The flag keeps `crm check` clean: the tag `possible-duplicate` where the schema declares it, and
a note in the record's activities (where the project keeps them) naming the record it resembles."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from crmcli.core.model import Project
from crmcli.duplicates.finder import Match
from crmcli.i18n import _

DUPLICATE_TAG = "possible-duplicate"


def flag_duplicate(project: Project, values: dict[str, Any], match: Match, at: datetime) -> None:
    """Mark new values as a likely duplicate of the match's existing record."""
    if DUPLICATE_TAG in project.tags and "tags" in project.fields:
        values["tags"] = [*values.get("tags", []), DUPLICATE_TAG]
    if "activities" in project.fields:
        text = _("Possible duplicate of {ref}: {reason}.").format(
            ref=match.records[1], reason=match.reason
        )
        values["activities"] = [{"type": "note", "at": at, "text": text}]
