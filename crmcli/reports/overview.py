"""The image of the whole dashboard: its title, the cards four by four, the charts two by two,
then the tables, one under the other.

Each chart is pasted as the pixels of its own image (the file next to the overview), not drawn
again: drawing every chart a second time in one constrained-layout figure cost as much as
drawing them all once, and the overview was the longest piece of drawing a large dashboard.
The rest — title, cards, tables — is text at places known in advance (a fixed layout, no
axes): a card's size, a table's rows and columns are known before anything is drawn.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeGuard

from crmcli.fields.formatting import Formatter
from crmcli.i18n import _
from crmcli.reports.charts import (
    CARD,
    CHART_SIZE,
    DPI,
    INK,
    MUTED,
    WARNING,
    chart_table,
    is_drawn,
    shorten,
    style,
)
from crmcli.reports.figures import (
    Chart,
    DashboardData,
    Figure,
    Omitted,
    RecordTable,
    Stat,
    notices,
    subtitle,
)

WIDTH = 2 * CHART_SIZE[0]  # inches: two charts side by side
MARGIN = 0.2  # inches, around the cards and tables
_TITLE = 0.9
_CARD_ROW, _CARDS_PER_ROW, _CARD_GAP = 1.7, 4, 0.2
_TABLE_TITLE, _TABLE_ROW, _TABLE_END = 0.5, 0.26, 0.3
_MAX_TABLE_ROWS = 12
_RULE = "#e5e7eb"


@dataclass(frozen=True, slots=True)
class Table:
    title: str
    headers: list[str]
    rows: list[list[str]]  # those shown: the first `_MAX_TABLE_ROWS`

    @property
    def height(self) -> float:
        lines = len(self.rows) + 1 if self.rows else 1
        return _TABLE_TITLE + _TABLE_ROW * lines + _TABLE_END


@dataclass(frozen=True, slots=True)
class Overview:
    """The whole dashboard, drawn but for its charts: the pixels they are pasted into."""

    pixels: Any  # RGBA, rows from the top
    charts_top: int  # the pixel row of the first charts

    def png(self, charts: Sequence[bytes]) -> bytes:
        """The whole dashboard as one PNG; `charts`: the images of its drawn figures, in order."""
        import numpy
        from matplotlib.image import imsave

        pixels = self.pixels.copy()
        for place, image in enumerate(charts):
            chart = _decoded(image)
            height, width = chart.shape[:2]
            y, x = self.charts_top + place // 2 * height, place % 2 * width
            pixels[y : y + height, x : x + width] = chart
        buffer = io.BytesIO()
        imsave(buffer, numpy.ascontiguousarray(pixels), format="png", dpi=DPI)
        return buffer.getvalue()


def draw_overview(data: DashboardData, formatter: Formatter, charts: int) -> Overview:
    """The whole dashboard but its `charts` drawn figures, which leave their rows blank."""
    cards = [f for f in data.figures if isinstance(f, Stat | Omitted)]
    tables = [_table(f, formatter) for f in data.figures if _is_table(f)]
    warnings = notices(data)
    top = _TITLE + (0.3 * len(warnings) + 0.2 if warnings else 0)
    charts_top = top + -(-len(cards) // _CARDS_PER_ROW) * _CARD_ROW
    below = charts_top + -(-charts // 2) * CHART_SIZE[1]
    with style():
        frame = _Frame(below + sum(t.height for t in tables))
        frame.heading(data.title, subtitle(data, formatter), warnings)
        for place, card in enumerate(cards):
            row, column = divmod(place, _CARDS_PER_ROW)
            frame.card(top + row * _CARD_ROW, column, *_card_text(card, formatter))
        for table in tables:
            frame.table(below, table)
            below += table.height
        return Overview(frame.pixels(), round(charts_top * DPI))


def _is_table(figure: Figure) -> TypeGuard[RecordTable | Chart]:
    """Record tables, and charts of a kind without a picture: their numbers as a table."""
    return isinstance(figure, RecordTable | Chart) and not is_drawn(figure)


def _table(figure: RecordTable | Chart, formatter: Formatter) -> Table:
    if isinstance(figure, RecordTable):
        headers, rows = list(figure.headers), [list(r) for r in figure.rows]
    else:
        headers, rows = chart_table(figure, formatter)
    return Table(figure.title, headers, rows[:_MAX_TABLE_ROWS])


def _card_text(card: Stat | Omitted, formatter: Formatter) -> tuple[str, str, str]:
    if isinstance(card, Stat):
        return card.title, card.unit.format(formatter, card.value), card.scope
    return card.title, "—", card.reason


def _decoded(image: bytes) -> Any:
    """A chart image's pixels, as RGBA: the same values its PNG file holds."""
    import numpy
    from PIL import Image

    with Image.open(io.BytesIO(image)) as opened:
        return numpy.asarray(opened.convert("RGBA"))


class _Frame:
    """The overview's figure, in inches from its top left corner."""

    def __init__(self, height: float) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure as MatplotlibFigure

        # a whole number of pixels, a quarter more so that Agg's rounding down keeps them all
        self.height = (round(height * DPI) + 0.25) / DPI
        self.figure = MatplotlibFigure(figsize=(WIDTH, self.height), dpi=DPI, facecolor="white")
        self.canvas = FigureCanvasAgg(self.figure)

    def text(self, x: float, y: float, text: str, **style: Any) -> Any:
        inches = self.figure.dpi_scale_trans
        return self.figure.text(x, self.height - y, text, transform=inches, **style)

    def heading(self, title: str, under: str, warnings: list[str]) -> None:
        self.text(MARGIN, 0.2, title, fontsize=20, fontweight="bold", color=INK, va="top")
        self.text(MARGIN, 0.8, under, fontsize=11, color=MUTED, va="bottom")
        if warnings:  # the records left out, in red under the title, as on the HTML page
            joined = "\n".join(warnings)
            self.text(MARGIN, _TITLE, joined, fontsize=11, color=WARNING, va="top", linespacing=1.6)

    def card(self, top: float, column: int, title: str, value: str, footnote: str) -> None:
        from matplotlib.patches import FancyBboxPatch

        width = (WIDTH - 2 * MARGIN - (_CARDS_PER_ROW - 1) * _CARD_GAP) / _CARDS_PER_ROW
        left, bottom = MARGIN + column * (width + _CARD_GAP), top + _CARD_ROW - 0.1
        self.figure.patches.append(
            FancyBboxPatch(
                (left, self.height - bottom),
                width,
                _CARD_ROW - 0.2,
                boxstyle="round,pad=0,rounding_size=0.08",
                transform=self.figure.dpi_scale_trans,
                facecolor=CARD,
                edgecolor=_RULE,
            )
        )
        self.text(left + 0.2, top + 0.3, title, fontsize=11, color=MUTED, va="top")
        self.text(
            left + 0.2, top + 0.8, value, fontsize=20, fontweight="bold", color=INK, va="center"
        )
        lines = textwrap.wrap(footnote, int(width * 14), max_lines=2, placeholder="…")
        self.text(left + 0.2, bottom - 0.15, "\n".join(lines), fontsize=8, color=MUTED, va="bottom")

    def table(self, top: float, table: Table) -> None:
        """A table as on the page: a bold header on grey, a rule under each row, each cell's
        text cut at its column's edge."""
        self.text(
            MARGIN, top + 0.15, table.title, fontsize=12, fontweight="bold", color=INK, va="top"
        )
        if not table.rows:
            self.text(
                WIDTH / 2,
                top + _TABLE_TITLE + 0.1,
                _("No data"),
                color=MUTED,
                ha="center",
                va="center",
            )
            return
        self._table_rules(top + _TABLE_TITLE, table)
        column_width = (WIDTH - 2 * MARGIN) / len(table.headers)
        for line, cells in enumerate([table.headers, *table.rows]):
            middle = top + _TABLE_TITLE + (line + 0.5) * _TABLE_ROW
            weight = "bold" if line == 0 else "normal"
            for column, cell in enumerate(cells):
                left = MARGIN + column * column_width
                text = self.text(
                    left + 0.08,
                    middle,
                    shorten([cell], 40)[0],
                    fontsize=9,
                    fontweight=weight,
                    color=INK,
                    va="center",
                )
                text.set_clip_box(
                    self._box(left, middle - _TABLE_ROW / 2, column_width - 0.08, _TABLE_ROW)
                )

    def _table_rules(self, top: float, table: Table) -> None:
        from matplotlib.collections import LineCollection
        from matplotlib.patches import Rectangle

        lines = len(table.rows) + 1
        right, inches = WIDTH - MARGIN, self.figure.dpi_scale_trans
        header = Rectangle(
            (MARGIN, self.height - top - _TABLE_ROW),
            right - MARGIN,
            _TABLE_ROW,
            transform=inches,
            facecolor=CARD,
            edgecolor="none",
        )
        self.figure.patches.append(header)
        rules = [
            [
                (MARGIN, self.height - top - i * _TABLE_ROW),
                (right, self.height - top - i * _TABLE_ROW),
            ]
            for i in range(lines + 1)
        ]
        self.figure.add_artist(
            LineCollection(rules, colors=_RULE, linewidths=0.8, transform=inches)
        )

    def _box(self, left: float, top: float, width: float, height: float) -> Any:
        from matplotlib.transforms import Bbox, TransformedBbox

        corners = Bbox.from_bounds(left, self.height - top - height, width, height)
        return TransformedBbox(corners, self.figure.dpi_scale_trans)

    def pixels(self) -> Any:
        """The frame's RGBA pixels."""
        import numpy

        self.canvas.draw()
        return numpy.asarray(self.canvas.buffer_rgba())
