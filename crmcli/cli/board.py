"""`crm board`: a project's records as a kanban in the terminal (rich), one column per list,
as wide as the terminal; a name too long for its column is cut with an ellipsis."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from crmcli.cli.reader import NoCacheOption, ReadAsOption, RoleOption, open_as_reader
from crmcli.i18n import counted, lazy, ngettext

if TYPE_CHECKING:
    from crmcli.reports.board import Board, Card, Column

AGING_MARK = "⚠"


def register(app: typer.Typer) -> None:
    app.command(
        "board",
        help=lazy(
            "Show a project's records as a board: one column per open list, each card the "
            "record's name, value and assignee; aging cards are marked ⚠.\n\nExamples:\n\n"
            "  crm board opportunities\n\n"
            "  crm board opportunities --member alice --tag website --all"
        ),
    )(board)


def board(
    ctx: typer.Context,
    project_key: Annotated[str, typer.Argument(metavar="PROJECT")],
    where: Annotated[
        str | None,
        typer.Option(
            "--where",
            "-w",
            help=lazy("Keep records for which this expression is true."),
            show_default=False,
        ),
    ] = None,
    tags: Annotated[
        list[str] | None,
        typer.Option(
            "--tag", "-t", help=lazy("Keep records with this tag (repeatable)."), show_default=False
        ),
    ] = None,
    member: Annotated[
        str | None,
        typer.Option(
            "--member",
            "-m",
            help=lazy("Keep the records assigned to this member."),
            show_default=False,
        ),
    ] = None,
    closed: Annotated[
        bool, typer.Option("--all", help=lazy("Show the closed lists (won, lost) too."))
    ] = False,
    acting_as: ReadAsOption = None,
    role_name: RoleOption = None,
    no_cache: NoCacheOption = False,
) -> None:
    from crmcli.reports.board import board_of

    opened, reader = open_as_reader(ctx.obj.root, acting_as, role_name, no_cache)
    shown = board_of(opened, reader, project_key, where, tags or [], member, closed)
    draw(shown)


def draw(shown: Board) -> None:
    from rich.console import Console

    console = Console(highlight=False)
    console.print(board_table(shown, console.width))


def board_table(shown: Board, width: int) -> Any:
    """The board as a rich table exactly `width` columns wide."""
    from rich import box
    from rich.table import Table

    table = Table(box=box.ROUNDED, width=width, show_lines=False, padding=(0, 1))
    for column in shown.columns:
        table.add_column(_heading(column), ratio=1, no_wrap=True, overflow="ellipsis")
    depth = max((column.count for column in shown.columns), default=0)
    for row in range(depth):
        cells = [_card(c.cards[row]) if row < c.count else "" for c in shown.columns]
        table.add_row(*cells, end_section=row < depth - 1)
    return table


def _heading(column: Column) -> Any:
    from rich.text import Text

    heading = Text(column.name, style="bold", overflow="ellipsis", no_wrap=True)
    count = ngettext("{count} card", "{count} cards", column.count).format(
        count=counted(column.count)
    )
    heading.append("\n" + count + (f" · {column.total}" if column.total else ""), style="dim")
    return heading


def _card(card: Card) -> Any:
    from rich.text import Text

    text = Text(card.name, style="bold", overflow="ellipsis", no_wrap=True)
    details = " · ".join(part for part in (card.value, card.assignee) if part)
    if details:
        text.append("\n" + details)
    if card.aging:
        text.append(
            "\n"
            + AGING_MARK
            + " "
            + ngettext(
                "{days} day in the list", "{days} days in the list", card.days_in_list
            ).format(days=counted(card.days_in_list)),
            style="red",
        )
    return text
