"""A dashboard's images, drawn on two cores: a forked child draws the image of the whole
dashboard while this process draws the charts'. matplotlib draws on one core, and the whole
dashboard costs about as much as all its charts (1.3 s and 1.2 s for the nine charts of the
sales dashboard on a hundred thousand deals), so on a large dashboard this halves the time
of drawing.

The whole dashboard takes the child longer than the charts take this process, so the
child's image is collected only when it is needed (`Overview.png`): this process renders the
HTML page, which needs only the charts, meanwhile.

The bytes are the same either way: the same figures, drawn by the same code. A dashboard of a
few charts, one core, a process with other threads (`fork_workers`), `CRM_PROCESSES=1`, or a
child that fails in any way: everything is drawn here.
"""

from __future__ import annotations

import marshal
from dataclasses import dataclass

from crmcli.core.forked import Child, started
from crmcli.core.parse_pool import fork_workers
from crmcli.fields.formatting import Formatter
from crmcli.reports.charts import chart_png, is_drawn, overview_png
from crmcli.reports.figures import BoardFigure, Chart, DashboardData

SHARED_FROM = 4  # charts; with fewer, forking costs about what it saves


@dataclass(frozen=True, slots=True)
class Overview:
    """The image of the whole dashboard: a child's, or drawn here when it is asked for."""

    data: DashboardData
    formatter: Formatter
    child: Child | None = None

    def png(self) -> bytes:
        sent = self.child.result() if self.child is not None else None
        drawn = _received(sent, 1)
        if drawn is None:  # no child, or it could not draw: here
            return overview_png(self.data, self.formatter)
        return drawn[0]


def draw_images(data: DashboardData, formatter: Formatter) -> tuple[dict[int, bytes], Overview]:
    """Each drawn figure's image by its place in the dashboard, and the whole dashboard's."""
    charts = [(index, figure) for index, figure in enumerate(data.figures) if is_drawn(figure)]
    if len(charts) < SHARED_FROM or fork_workers() < 2:
        return _drawn(charts, formatter), Overview(data, formatter)
    child = started(lambda: marshal.dumps([overview_png(data, formatter)]))
    return _drawn(charts, formatter), Overview(data, formatter, child)


def _drawn(charts: list[tuple[int, Chart | BoardFigure]], formatter: Formatter) -> dict[int, bytes]:
    return {index: chart_png(figure, formatter) for index, figure in charts}


def _received(sent: bytes | None, count: int) -> list[bytes] | None:
    """The images the child sent, if they are all there."""
    try:
        images = marshal.loads(sent) if sent else None
    except (EOFError, ValueError, TypeError):
        return None
    if not isinstance(images, list) or len(images) != count:
        return None
    return images if all(isinstance(image, bytes) and image for image in images) else None
