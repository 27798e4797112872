"""The board of a project: one column per list (the open ones, or all), each record a card
with its name, value and assignee, each column its count and the sum of its values, cards
past the list's `max_days` marked as aging. Plain frozen data: `crm board` draws it in the
terminal, the dashboard's `type: board` widget in HTML and PNG.

Only what the reader may see is on a card: the value when the value field is visible to
their role, the assignee when `assignee` is.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from crmcli.core.decimals import exact_sum
from crmcli.core.model import FieldDef, Project, Record
from crmcli.engine import deals
from crmcli.engine.present import Presenter
from crmcli.engine.query import select_records
from crmcli.engine.reader import Reader, workspace_now
from crmcli.engine.workspace import OpenWorkspace
from crmcli.errors import UsageError
from crmcli.fields.builtins import resolve_member
from crmcli.git.timeline import Timeline
from crmcli.i18n import _
from crmcli.i18n.lists import and_list


@dataclass(frozen=True, slots=True)
class Card:
    ref: str
    name: str
    value: str  # in the workspace locale; "" when none or hidden
    assignee: str  # the member's name; "" when none or hidden
    days_in_list: int
    aging: bool


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    outcome: str
    max_days: int | None
    cards: tuple[Card, ...]
    total: str  # the sum of the cards' values in the locale; "" when no value is shown

    @property
    def count(self) -> int:
        return len(self.cards)


@dataclass(frozen=True, slots=True)
class Board:
    project: str
    title: str
    columns: tuple[Column, ...]

    @property
    def count(self) -> int:
        return sum(column.count for column in self.columns)


def build_board(
    project: Project,
    records: Iterable[Record],
    presenter: Presenter,
    reader: Reader,
    timeline: Timeline,
    now: datetime,
    include_closed: bool = False,
) -> Board:
    """The board of `records` of `project`, cards in each column by value, largest first."""
    value_field = deals.value_field(project)
    if value_field is not None and not reader.may_see(project.key, value_field.key):
        value_field = None
    show_assignee = "assignee" in project.fields and reader.may_see(project.key, "assignee")
    by_list: dict[str, list[tuple[float, Card]]] = {name: [] for name in project.lists}
    for record in records:
        stage = deals.stage(project, record)
        if stage is None or (stage.outcome != "open" and not include_closed):
            continue  # a column not shown: no card to date or format
        amount = _value(record, value_field) if value_field is not None else None
        amount = amount if isinstance(amount, int | float) and not isinstance(amount, bool) else 0
        days = timeline.days_in_list(record, now)
        card = Card(
            ref=record.ref,
            name=record.name,
            value=presenter.field_value(project, value_field, amount) if value_field else "",
            assignee=presenter.member(record.data["assignee"])
            if show_assignee and record.data.get("assignee")
            else "",
            days_in_list=days,
            aging=stage.outcome == "open" and stage.max_days is not None and days > stage.max_days,
        )
        by_list[stage.name].append((amount, card))
    columns = []
    for stage in project.lists.values():
        if stage.outcome != "open" and not include_closed:
            continue
        entries = sorted(by_list[stage.name], key=lambda entry: (-entry[0], entry[1].name))
        total = exact_sum(amount for amount, _card in entries)
        columns.append(
            Column(
                name=stage.name,
                outcome=stage.outcome,
                max_days=stage.max_days,
                cards=tuple(card for _amount, card in entries),
                total=presenter.field_value(project, value_field, total) if value_field else "",
            )
        )
    return Board(project.key, project.name, tuple(columns))


def board_of(
    opened: OpenWorkspace,
    reader: Reader,
    project_key: str,
    where: str | None = None,
    tags: Sequence[str] = (),
    member: str | None = None,
    include_closed: bool = False,
) -> Board:
    """`crm board PROJECT`: the board of the records `--where`, `--tag` and `--member` keep."""
    from zoneinfo import ZoneInfo

    workspace = opened.workspace
    project = opened.project(project_key)
    if not project.lists:
        raise UsageError(_("{project} has no lists").format(project=project.name))
    records = select_records(opened.engine, project, where, reader=reader)
    if tags:
        unknown = [tag for tag in tags if tag not in project.tags]
        if unknown:
            raise UsageError(
                _("--tag: {tags} is not a tag of {project}").format(
                    tags=and_list(unknown), project=project.name
                )
            )
        records = [r for r in records if set(tags) <= set(r.tags)]
    if member is not None:
        member_id = resolve_member(workspace, member, "--member")
        reader.refuse_hidden(project, ["assignee"], "--member: ")
        records = [r for r in records if r.data.get("assignee") == member_id]
    timeline = Timeline(workspace.root, ZoneInfo(workspace.config.timezone))
    try:
        return build_board(
            project,
            records,
            Presenter(workspace, opened.engine),
            reader,
            timeline,
            workspace_now(workspace),
            include_closed,
        )
    finally:
        timeline.close()


def _value(record: Record, field: FieldDef) -> Any:
    """The record's value of a field: a stored one from its data, without the computed
    values (the index fetches a project's when first read: a quarter of a large board)."""
    return record.value(field.key) if field.computed else record.data.get(field.key)
