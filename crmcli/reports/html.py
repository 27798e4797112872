"""The dashboard as one self-contained HTML page (jinja2, autoescaped): styles inline, charts
as inline PNG data, no script and no network — a Content-Security-Policy says so to the
browser. Every chart's numbers are also a table, for screen readers and for copying."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass

from crmcli import __version__
from crmcli.fields.formatting import Formatter
from crmcli.i18n import _, ngettext
from crmcli.reports.charts import CHART_SIZE, DPI, chart_table
from crmcli.reports.figures import (
    BoardFigure,
    Chart,
    DashboardData,
    Figure,
    Omitted,
    RecordTable,
    Stat,
    notices,
    subtitle,
)
from crmcli.reports.pages import page_environment


@dataclass(frozen=True, slots=True)
class Panel:
    """One widget as the template shows it."""

    anchor: str
    figure: Figure
    value: str = ""
    image: str = ""  # a data: URL
    headers: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()


def render_html(data: DashboardData, images: Mapping[int, bytes], formatter: Formatter) -> str:
    panels = [_panel(i, f, images.get(i), formatter) for i, f in enumerate(data.figures)]
    return (
        page_environment()
        .get_template("dashboard.html.j2")
        .render(
            data=data,
            lang=data.locale.partition("_")[0] or "en",
            subtitle=subtitle(data, formatter),
            notices=notices(data),
            cards=[p for p in panels if isinstance(p.figure, Stat | Omitted)],
            panels=[p for p in panels if not isinstance(p.figure, Stat | Omitted)],
            width=int(CHART_SIZE[0] * DPI),
            height=int(CHART_SIZE[1] * DPI),
            version=__version__,
            _=_,
            ngettext=ngettext,
        )
    )


def _panel(index: int, figure: Figure, image: bytes | None, formatter: Formatter) -> Panel:
    anchor = f"widget-{index + 1}"
    if isinstance(figure, Stat):
        return Panel(anchor, figure, value=figure.unit.format(formatter, figure.value))
    if isinstance(figure, RecordTable):
        return Panel(anchor, figure, headers=figure.headers, rows=figure.rows)
    if isinstance(figure, BoardFigure):
        return Panel(anchor, figure)
    if isinstance(figure, Chart):
        headers, rows = chart_table(figure, formatter)
        url = "data:image/png;base64," + base64.b64encode(image).decode() if image else ""
        return Panel(
            anchor, figure, image=url, headers=tuple(headers), rows=tuple(map(tuple, rows))
        )
    return Panel(anchor, figure)
