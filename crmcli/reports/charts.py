"""Charts as PNG images, drawn with matplotlib on the Agg canvas (imported here only, when a
dashboard is rendered): one image per pie, bar chart or board, which overview.py pastes into
the image of the whole dashboard.

Text is set in DejaVu Sans, which ships with matplotlib and has Latin, accented and Cyrillic
glyphs; `$` in a record's name stays a dollar sign (no mathtext).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeGuard

from crmcli.fields.formatting import Formatter
from crmcli.i18n import _, counted, ngettext
from crmcli.reports.figures import BoardFigure, Chart, Figure

PALETTE = (
    "#2563eb",
    "#f59e0b",
    "#10b981",
    "#ef4444",
    "#8b5cf6",
    "#06b6d4",
    "#ec4899",
    "#84cc16",
    "#f97316",
    "#64748b",
    "#14b8a6",
    "#a855f7",
)
INK, MUTED, CARD, WARNING = "#111827", "#6b7280", "#f3f4f6", "#c0392b"
_STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "text.parse_math": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#9ca3af",
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelcolor": INK,
    "xtick.color": INK,
    "ytick.color": INK,
    "svg.fonttype": "path",
}
CHART_SIZE = (8.0, 4.5)  # inches; at 100 dpi an 800 × 450 image
DPI = 100


def is_drawn(figure: Figure) -> TypeGuard[Chart | BoardFigure]:
    """Pies, bars and boards get an image of their own; cards and tables are text."""
    return isinstance(figure, BoardFigure) or (
        isinstance(figure, Chart) and figure.kind in ("pie", "bar")
    )


@contextmanager
def style() -> Iterator[None]:
    import matplotlib

    with matplotlib.rc_context(_STYLE):
        yield


def chart_png(chart: Chart | BoardFigure, formatter: Formatter) -> bytes:
    from matplotlib.figure import Figure as MatplotlibFigure

    with style():
        canvas = MatplotlibFigure(
            figsize=CHART_SIZE, dpi=DPI, layout="constrained", facecolor="white"
        )
        _draw_image(canvas.add_subplot(), chart, formatter)
        return _png(canvas)


def _draw_image(axes: Any, figure: Chart | BoardFigure, formatter: Formatter) -> None:
    if isinstance(figure, BoardFigure):
        draw_board(axes, figure)
    else:
        draw_chart(axes, figure, formatter)


def draw_chart(axes: Any, chart: Chart, formatter: Formatter) -> None:
    axes.set_title(chart.title)
    if chart.is_empty:
        axes.axis("off")
        axes.text(0.5, 0.5, _("No data"), ha="center", va="center", color=MUTED, fontsize=12)
        return
    if chart.kind == "pie":
        _draw_pie(axes, chart, formatter)
    else:
        _draw_bars(axes, chart, formatter)


def _draw_pie(axes: Any, chart: Chart, formatter: Formatter) -> None:
    shown = [
        (label, value)
        for label, value in zip(chart.categories, chart.totals, strict=True)
        if value > 0
    ]
    colours = [PALETTE[i % len(PALETTE)] for i in range(len(shown))]
    wedges, _texts, _numbers = axes.pie(
        [value for _label, value in shown],
        colors=colours,
        startangle=90,
        counterclock=False,
        wedgeprops={"width": 0.45, "edgecolor": "white"},
        autopct=lambda share: f"{share:.0f} %" if share >= 5 else "",
        pctdistance=0.78,
        textprops={"color": "white", "fontsize": 9, "fontweight": "bold"},
    )
    # the pie on the left of the axes, its legend on the right, both inside the axes' box
    axes.set_aspect("equal")
    axes.set_xlim(-1.1, 3.9)
    axes.set_ylim(-1.1, 1.1)
    axes.legend(
        wedges,
        [
            f"{label} — {chart.unit.compact(formatter, value)}"
            for label, value in zip(
                shorten([s[0] for s in shown], 26), [s[1] for s in shown], strict=True
            )
        ],
        title=chart.category_label,
        loc="center left",
        bbox_to_anchor=(0.46, 0.5),
        frameon=False,
        fontsize=9,
    )
    axes.set_xlabel(chart.value_label, color=MUTED)


def _draw_bars(axes: Any, chart: Chart, formatter: Formatter) -> None:
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    count = len(chart.categories)
    positions = list(range(count))
    several = len(chart.series) > 1
    width = 0.8 if chart.stacked or not several else 0.8 / len(chart.series)
    bottoms = [0.0] * count
    for index, series in enumerate(chart.series):
        values = [value or 0 for value in series.values]
        if chart.stacked:
            places = positions
        else:
            places = [p - 0.4 + width * (index + 0.5) if several else p for p in positions]
        axes.bar(
            places,
            values,
            width=width,
            bottom=bottoms if chart.stacked else None,
            color=PALETTE[index % len(PALETTE)],
            label=series.name,
        )
        if chart.stacked:
            bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
    long_labels = count > 6 or max((len(c) for c in chart.categories), default=0) > 10
    axes.set_xticks(positions, shorten(chart.categories, 24))
    if long_labels:
        axes.tick_params(axis="x", labelrotation=40)
        for label in axes.get_xticklabels():
            label.set_horizontalalignment("right")
            label.set_rotation_mode("anchor")
    axes.yaxis.set_major_locator(MaxNLocator(nbins=6, integer=chart.unit.kind == "count"))
    axes.yaxis.set_major_formatter(FuncFormatter(_tick_labels(chart, formatter)))
    axes.grid(axis="y", color="#e5e7eb")
    axes.set_axisbelow(True)
    axes.set_xlabel(chart.category_label)
    axes.set_ylabel(chart.value_label)
    if several:
        axes.legend(
            frameon=False,
            fontsize=9,
            title=chart.series_label,
            loc="upper left",
            bbox_to_anchor=(1.0, 1.0),
        )


def _tick_labels(chart: Chart, formatter: Formatter) -> Callable[[Any, Any], str]:
    """An axis's labels, each value's made once: matplotlib asks for every tick's at each
    layout and drawing pass (2,500 times for a dashboard's sixty ticks, a third of the time
    of formatting in Babel), and gets the same text."""
    made: dict[tuple[type, str], str] = {}

    def label(value: Any, _position: Any) -> str:
        key = (type(value), float(value).hex())  # 0.0 and -0.0 apart, as Babel tells them
        text = made.get(key)
        if text is None:
            text = made[key] = chart.unit.compact(formatter, value)
        return text

    return label


def shorten(labels: Sequence[str], length: int) -> list[str]:
    return [label if len(label) <= length else label[: length - 1] + "…" for label in labels]


_BOARD_CARDS = 7  # cards drawn per column; the rest are counted


def draw_board(axes: Any, figure: BoardFigure) -> None:
    """The board as on the page: a column per list, its count and sum, cards top down."""
    from matplotlib.patches import FancyBboxPatch

    axes.set_title(figure.title)
    axes.axis("off")
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1)
    columns = figure.board.columns
    if not columns:
        return
    width = 1 / len(columns)
    characters = max(6, int(110 * width))  # what fits on a card at this size
    for index, column in enumerate(columns):
        left = index * width + 0.01
        heading = _cut(column.name, characters * 4 // 5)
        axes.text(left, 0.98, heading, fontsize=9, fontweight="bold", va="top")
        count = ngettext("{count} card", "{count} cards", column.count).format(
            count=counted(column.count)
        )
        total = f" · {column.total}" if column.total else ""
        axes.text(left, 0.91, count + total, fontsize=8, color=MUTED, va="top")
        for row, card in enumerate(column.cards[:_BOARD_CARDS]):
            top = 0.84 - row * 0.12
            axes.add_patch(
                FancyBboxPatch(
                    (left, top - 0.105),
                    width - 0.02,
                    0.1,
                    boxstyle="round,pad=0,rounding_size=0.01",
                    transform=axes.transAxes,
                    facecolor="white",
                    edgecolor=WARNING if card.aging else "#d1d5db",
                    linewidth=1.5 if card.aging else 0.8,
                )
            )
            name = ("⚠ " if card.aging else "") + card.name
            axes.text(left + 0.01, top - 0.015, _cut(name, characters), fontsize=8, va="top")
            details = " · ".join(part for part in (card.value, card.assignee) if part)
            axes.text(
                left + 0.01,
                top - 0.06,
                _cut(details, characters),
                fontsize=7,
                color=MUTED,
                va="top",
            )
        hidden = column.count - _BOARD_CARDS
        if hidden > 0:
            more = ngettext("and {count} more", "and {count} more", hidden).format(
                count=counted(hidden)
            )
            axes.text(left, 0.0, more, fontsize=8, color=MUTED, va="bottom")


def _cut(text: str, characters: int) -> str:
    return text if len(text) <= characters else text[: characters - 1] + "…"


def chart_table(chart: Chart, formatter: Formatter) -> tuple[list[str], list[list[str]]]:
    """A chart's numbers as a table: one row per category, one column per series."""
    from crmcli.reports.figures import Unit

    names = [s.name or chart.value_label for s in chart.series]
    several, shares = len(chart.series) > 1, chart.kind == "pie"
    headers = [chart.category_label, *names]
    headers += [_("Total")] if several else []
    headers += [_("Share")] if shares else []
    whole = sum(value for value in chart.totals if value > 0)
    rows = []
    for index, category in enumerate(chart.categories):
        row = [category, *(chart.unit.format(formatter, s.values[index]) for s in chart.series)]
        total = chart.totals[index]
        row += [chart.unit.format(formatter, total)] if several else []
        row += [Unit("ratio").format(formatter, total / whole if whole else None)] if shares else []
        rows.append(row)
    return headers, rows


def _png(canvas: Any) -> bytes:
    """The image's bytes. The layout is done once, here, and the figure drawn once: `savefig`
    would first draw the whole figure without rendering to lay it out, then draw it again
    (it does so whenever the figure had a layout engine, even one set to "none" since);
    the layout and so the pixels are the same."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.image import imsave

    agg = FigureCanvasAgg(canvas)
    canvas.get_layout_engine().execute(canvas)
    canvas.set_layout_engine("none")
    agg.draw()
    buffer = io.BytesIO()
    imsave(buffer, agg.buffer_rgba(), format="png", dpi=DPI)
    return buffer.getvalue()
