"""What a record's activities and next step say, decided once: its last activity, the days
since, and its next step (what, due, by, overdue). Formulas, conditions of automations,
dashboards, the agenda and the board read these names here (`ACTIVITY_NAMES` of the model)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from crmcli.core.model import Record
from crmcli.formulas.values import BOOL, DATE, NUMBER, TEXT
from crmcli.i18n import _


@dataclass(frozen=True, slots=True)
class Step:
    """A record's next step as stored: `due` may be missing, `by` names a member."""

    what: str
    due: date | None
    by: str | None


def activities(record: Record) -> list[dict[str, Any]]:
    """The record's well-formed activity entries, oldest first as written."""
    value = record.data.get("activities")
    if not isinstance(value, list):
        return []
    return [e for e in value if isinstance(e, dict) and isinstance(e.get("at"), datetime)]


def last_activity(record: Record) -> datetime | None:
    """The moment of the latest activity (entries are appended, but hand edits may not be)."""
    moments = [entry["at"] for entry in activities(record)]
    return max(moments, key=lambda moment: moment.timestamp()) if moments else None


def days_since_activity(record: Record, today: date) -> int | None:
    last = last_activity(record)
    return (today - last.date()).days if last is not None else None


def next_step(record: Record) -> Step | None:
    value = record.data.get("next_step")
    if not isinstance(value, dict) or not isinstance(value.get("what"), str):
        return None
    due = value.get("due")
    by = value.get("by")
    return Step(
        what=value["what"],
        due=due if isinstance(due, date) and not isinstance(due, datetime) else None,
        by=by if isinstance(by, str) else None,
    )


def is_overdue(step: Step | None, today: date) -> bool:
    return step is not None and step.due is not None and step.due < today


def _step_part(read: Callable[[Step], Any]) -> Callable[[Record, date], Any]:
    def value(record: Record, today: date) -> Any:
        step = next_step(record)
        return read(step) if step is not None else None

    return value


# The names a scope reads: the type formulas see, the stored field each is read from (what
# a role that may not see that field may not see either), and the value.
ACTIVITY_VALUES: dict[str, tuple[str, str, Callable[[Record, date], Any]]] = {
    "last_activity": (DATE, "activities", lambda record, today: last_activity(record)),
    "days_since_activity": (NUMBER, "activities", days_since_activity),
    "has_next_step": (BOOL, "next_step", lambda record, today: next_step(record) is not None),
    "next_step_what": (TEXT, "next_step", _step_part(lambda step: step.what)),
    "next_step_due": (DATE, "next_step", _step_part(lambda step: step.due)),
    "next_step_by": (TEXT, "next_step", _step_part(lambda step: step.by)),
    "next_step_overdue": (
        BOOL,
        "next_step",
        lambda record, today: is_overdue(next_step(record), today),
    ),
}

# How the names read as column headings (dashboards' tables); next_step_by names a member.
ACTIVITY_LABELS = {
    "last_activity": _("last activity"),
    "days_since_activity": _("days since the last activity"),
    "has_next_step": _("has a next step"),
    "next_step_what": _("next step"),
    "next_step_due": _("next step due"),
    "next_step_by": _("next step by"),
    "next_step_overdue": _("next step overdue"),
}
MEMBER_NAMES = frozenset({"next_step_by"})
