"""Notifications owed: an event's notification whose delivery failed is kept in the state as
a `pending` line that holds the event itself, not only in git — a `crm move` made while the
SMTP server was down is delivered by the next `crm remind` or `crm automate`, once: it is
remembered by the same rule, record, event and recipient as the delivery it stands for.

The line keeps the event (kind, lists, fields, moment), never the rendered message: a state
file may be committed, and a message may show fields that some readers of the repository
must not see. The message is rendered again when it is delivered.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from crmcli.automations.events import Trigger
from crmcli.core.model import Record, RecordEvent
from crmcli.i18n import _

if TYPE_CHECKING:
    from crmcli.automations.rules import Rule


def pending_entry(delivery: dict[str, Any], trigger: Trigger) -> dict[str, Any]:
    """The pending line for a failed delivery (its `event` line, as it would have been)."""
    event = trigger.event
    described: dict[str, Any] = {"kind": event.kind, "moment": trigger.moment.isoformat()}
    if event.from_list is not None:
        described["from"] = event.from_list
    if event.to_list is not None:
        described["to"] = event.to_list
    if event.fields:
        described["fields"] = list(event.fields)
    return {**delivery, "kind": "pending", "trigger": described}


def trigger_of(entry: dict[str, Any]) -> Trigger | None:
    """The event a pending line keeps, read from the working tree; None when the line does
    not describe one (written by hand)."""
    described = entry["trigger"]
    project, slash, record_id = str(entry["record"]).partition("/")
    try:
        moment = datetime.fromisoformat(str(described.get("moment")))
    except ValueError:
        return None
    if not slash or moment.tzinfo is None:
        return None
    fields = described.get("fields") or []
    event = RecordEvent(
        str(described["kind"]),
        project,
        record_id,
        _text(described.get("from")),
        _text(described.get("to")),
        tuple(str(name) for name in fields) if isinstance(fields, list) else (),
    )
    return Trigger(event, moment, str(entry["event"]))


def why_dropped(trigger: Trigger | None, rule: Rule | None, record: Record | None) -> str:
    """Why a pending notification is given up (said in the run's report)."""
    if trigger is None:
        return _("the pending notification does not describe its event; it is dropped")
    if rule is None:
        return _("the rule is no longer in automations.yaml; the pending notification is dropped")
    if record is None:
        return _("the record no longer exists; the pending notification is dropped")
    return _("the rule no longer notifies this recipient; the pending notification is dropped")


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
