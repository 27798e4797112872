"""A member's agenda for the coming days: their next steps (overdue ones first, on today),
the expected close dates of their open deals (a `close_date` date field), and their aging
deals (past the list's `max_days`, today). Plain frozen data that `crm agenda` prints as a
table or JSON and `reports/calendar.py` writes as iCalendar.

A record is the member's when its next step names them (`by`), else when it is assigned to
them. Only what the reader may see is read: no next steps when `next_step` is hidden from
their role, no close dates when `close_date` is.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from crmcli.core.model import Member, Project, Record, Workspace, WorkspaceConfig
from crmcli.engine import deals
from crmcli.engine.activity import is_overdue, next_step
from crmcli.engine.reader import Reader, workspace_now
from crmcli.engine.workspace import OpenWorkspace
from crmcli.errors import UsageError
from crmcli.fields.builtins import resolve_member
from crmcli.fields.formatting import Formatter
from crmcli.git.timeline import Timeline
from crmcli.i18n import _, counted, ngettext

CLOSE_DATE = "close_date"  # the field that says when an open deal is expected to close
NEXT_STEP, CLOSING, AGING = "next_step", "close_date", "aging"


@dataclass(frozen=True, slots=True)
class AgendaItem:
    kind: str  # next_step, close_date or aging
    day: date  # the day it is on the agenda (an overdue step: today)
    project: str
    record_id: str
    name: str
    path: str
    what: str = ""  # the next step
    due: date | None = None  # the next step's own due date
    overdue: bool = False
    days_in_list: int | None = None  # aging deals
    list_name: str = ""

    @property
    def ref(self) -> str:
        return f"{self.project}/{self.record_id}"


@dataclass(frozen=True, slots=True)
class Agenda:
    member: Member
    start: date
    days: int
    items: tuple[AgendaItem, ...]

    @property
    def end(self) -> date:
        """The last day covered."""
        return self.start + timedelta(days=self.days - 1)


def build_agenda(
    workspace: Workspace,
    reader: Reader,
    member: Member,
    timeline: Timeline,
    now: datetime,
    days: int,
) -> Agenda:
    today = now.date()
    end = today + timedelta(days=days - 1)
    items = [
        item
        for project in workspace.projects.values()
        for record in project.records.values()
        for item in _items(project, record, member, reader, timeline, now)
        if today <= item.day <= end
    ]
    order = {NEXT_STEP: 0, CLOSING: 1, AGING: 2}
    items.sort(key=lambda item: (item.day, order[item.kind], item.name.casefold(), item.ref))
    return Agenda(member, today, days, tuple(items))


def _items(
    project: Project,
    record: Record,
    member: Member,
    reader: Reader,
    timeline: Timeline,
    now: datetime,
) -> Iterator[AgendaItem]:
    today = now.date()
    common = {
        "project": project.key,
        "record_id": record.id,
        "name": record.name,
        "path": record.path,
    }
    assigned = record.data.get("assignee") == member.id
    step = next_step(record) if reader.may_see(project.key, "next_step") else None
    if (
        step is not None
        and step.due is not None
        and (step.by or record.data.get("assignee")) == member.id
    ):
        overdue = is_overdue(step, today)
        day = today if overdue else step.due
        yield AgendaItem(NEXT_STEP, day, what=step.what, due=step.due, overdue=overdue, **common)
    if not assigned or deals.outcome(project, record) != "open":
        return
    definition = project.fields.get(CLOSE_DATE)
    closing = record.data.get(CLOSE_DATE)
    if (
        definition is not None
        and definition.type == "date"
        and reader.may_see(project.key, CLOSE_DATE)
        and isinstance(closing, date)
        and not isinstance(closing, datetime)
    ):
        yield AgendaItem(CLOSING, closing, **common)
    stage = deals.stage(project, record)
    if stage is not None and stage.max_days is not None:
        days_in_list = timeline.days_in_list(record, now)
        if days_in_list > stage.max_days:
            yield AgendaItem(
                AGING, today, days_in_list=days_in_list, list_name=stage.name, **common
            )


def agenda_of(opened: OpenWorkspace, reader: Reader, member: str | None, days: int) -> Agenda:
    """`crm agenda`: the agenda of `member` (default: the member reading) from today."""
    from zoneinfo import ZoneInfo

    workspace = opened.workspace
    if member is not None:
        chosen = workspace.config.members[resolve_member(workspace, member, "--member")]
    elif reader.member is not None:
        chosen = reader.member
    else:
        raise UsageError(
            _("whose agenda? You are not a member of the workspace: name one with --member.")
        )
    timeline = Timeline(workspace.root, ZoneInfo(workspace.config.timezone))
    try:
        return build_agenda(workspace, reader, chosen, timeline, workspace_now(workspace), days)
    finally:
        timeline.close()


def record_link(config: WorkspaceConfig, root: Path, item: AgendaItem) -> str:
    if config.record_link:
        return config.record_link.format(path=item.path, project=item.project, id=item.record_id)
    return (root / item.path).resolve().as_uri()


def summary(item: AgendaItem, formatter: Formatter) -> str:
    """What the item is, in a sentence: the calendar's title of the event."""
    if item.kind == CLOSING:
        return _("Expected to close: {name}").format(name=item.name)
    if item.kind == AGING:
        return ngettext(
            "Aging: {name}, {days} day in {list}",
            "Aging: {name}, {days} days in {list}",
            item.days_in_list or 0,
        ).format(name=item.name, days=counted(item.days_in_list or 0), list=item.list_name)
    if item.overdue and item.due is not None:
        return _("{what} ({name}), overdue since {day}").format(
            what=item.what, name=item.name, day=formatter.day(item.due)
        )
    return _("{what} ({name})").format(what=item.what, name=item.name)
