"""`crm agenda --format ics`: the agenda as an iCalendar document (the `icalendar` library).

A calendar app that subscribes to the file must update an event, not add a copy, each time
the file is written again: an event's UID is a hash of the workspace (its `name:`), the record
and the kind of item, so the same next step keeps its UID across runs (and when its day
moves). Events start at `EVENT_HOUR` in the workspace time zone, on the day they are due, and
each carries the record's link: `record_link` of `crm.yaml` with `{path}`, `{project}` and
`{id}` filled in, else a `file://` URL of the record file.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from crmcli.core.model import WorkspaceConfig
from crmcli.fields.formatting import Formatter
from crmcli.i18n import _
from crmcli.reports.agenda import Agenda, AgendaItem, record_link, summary

EVENT_HOUR = time(9, 0)  # the morning: when the reminder of a due step goes out too
EVENT_LENGTH = timedelta(minutes=30)


def agenda_calendar(agenda: Agenda, config: WorkspaceConfig, root: Path, now: datetime) -> bytes:
    from icalendar import Calendar, Event

    zone = ZoneInfo(config.timezone)
    formatter = Formatter.for_workspace(config)
    calendar = Calendar()
    calendar.add("prodid", "-//crmcli//agenda//EN")
    calendar.add("version", "2.0")
    calendar.add(
        "x-wr-calname",
        _("{workspace}: agenda of {member}").format(
            workspace=config.name or root.name, member=agenda.member.name
        ),
    )
    calendar.add("x-wr-timezone", config.timezone)
    for item in agenda.items:
        link = record_link(config, root, item)
        start = datetime.combine(item.day, EVENT_HOUR, tzinfo=zone)
        event = Event()
        event.add("uid", event_uid(config, root, item))
        event.add("dtstamp", now.astimezone(ZoneInfo("UTC")))
        event.add("dtstart", start)
        event.add("dtend", start + EVENT_LENGTH)
        event.add("summary", summary(item, formatter))
        event.add("description", f"{item.name}\n{link}")
        event.add("url", link)
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def event_uid(config: WorkspaceConfig, root: Path, item: AgendaItem) -> str:
    identity = f"{config.name or root.name}/{item.project}/{item.record_id}/{item.kind}"
    return hashlib.sha256(identity.encode("utf-8")).hexdigest()[:32] + "@crmcli"
