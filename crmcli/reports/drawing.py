"""A dashboard's images, drawn on two cores: a forked child draws some of the charts while
this process draws the others, then pastes them all into the image of the whole dashboard
(overview.py). matplotlib draws on one core, and the nine charts of the sales dashboard on a
hundred thousand deals cost about two seconds.

The child takes the charts from the end of the dashboard, this process those from the start;
this process has more to do after them (the HTML page, the whole dashboard's image), so the
child takes the larger share.

The bytes are the same either way: the same figures, drawn by the same code. A dashboard of a
few charts, one core, a process with other threads (`fork_workers`), `CRM_PROCESSES=1`, or a
child that fails in any way: everything is drawn here.
"""

from __future__ import annotations

import marshal
from dataclasses import dataclass

from crmcli.core.forked import started
from crmcli.core.parse_pool import fork_workers
from crmcli.fields.formatting import Formatter
from crmcli.reports.charts import chart_png, is_drawn
from crmcli.reports.figures import BoardFigure, Chart, DashboardData
from crmcli.reports.overview import overview_png

SHARED_FROM = 4  # charts; with fewer, forking costs about what it saves
CHILD_SHARE = 0.6  # of the charts; this process then renders the page and the overview

Placed = list[tuple[int, Chart | BoardFigure]]  # charts by their place in the dashboard


@dataclass(frozen=True, slots=True)
class Overview:
    """The image of the whole dashboard, drawn when it is asked for (after the HTML page)."""

    data: DashboardData
    formatter: Formatter
    charts: tuple[bytes, ...]  # the images of the drawn figures, in the dashboard's order

    def png(self) -> bytes:
        return overview_png(self.data, self.formatter, self.charts)


def draw_images(data: DashboardData, formatter: Formatter) -> tuple[dict[int, bytes], Overview]:
    """Each drawn figure's image by its place in the dashboard, and the whole dashboard's."""
    charts = [(index, figure) for index, figure in enumerate(data.figures) if is_drawn(figure)]
    if len(charts) < SHARED_FROM or fork_workers() < 2:
        images = _drawn(charts, formatter)
    else:
        mine, theirs = _shared(charts)
        child = started(lambda: marshal.dumps(list(_drawn(theirs, formatter).values())))
        images = _drawn(mine, formatter)
        sent = _received(child.result() if child is not None else None, len(theirs))
        if sent is None:  # the child could not draw them: here
            images |= _drawn(theirs, formatter)
        else:
            images |= dict(zip((index for index, _f in theirs), sent, strict=True))
    return images, Overview(data, formatter, tuple(images[index] for index, _f in charts))


def _shared(charts: Placed) -> tuple[Placed, Placed]:
    """The charts drawn here, and those the child draws."""
    here = len(charts) - round(len(charts) * CHILD_SHARE)
    return charts[:here], charts[here:]


def _drawn(charts: Placed, formatter: Formatter) -> dict[int, bytes]:
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
