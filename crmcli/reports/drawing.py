"""A dashboard's images, drawn on two cores: this process draws the whole dashboard but its
charts (overview.py), forks a child that draws the charts at the end of the dashboard while
it draws those at the start, then a thread pastes them all into the whole dashboard's image and compresses it
while this process renders the HTML page. matplotlib draws on one core, and the nine charts
of the sales dashboard on a hundred thousand deals cost over a second.

The rest of the overview (title, cards, tables) is drawn here while the child draws: the
child imports matplotlib and reads its fonts itself, which costs it about what the rest of the
overview costs this process.

The bytes are the same either way: the same figures, drawn by the same code. A dashboard of a
few charts, one core, a process with other threads (`fork_workers`), `CRM_PROCESSES=1`, or a
child that fails in any way: everything is drawn here.
"""

from __future__ import annotations

import marshal
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from crmcli.core.forked import started
from crmcli.core.parse_pool import fork_workers
from crmcli.fields.formatting import Formatter
from crmcli.reports.charts import chart_png, is_drawn
from crmcli.reports.figures import BoardFigure, Chart, DashboardData
from crmcli.reports.overview import Overview, draw_overview

SHARED_FROM = 4  # charts; with fewer, forking costs about what it saves
_BOARD_WEIGHT = 3  # a board's 40 cards cost about what three charts do

Placed = list[tuple[int, Chart | BoardFigure]]  # charts by their place in the dashboard


@dataclass(frozen=True, slots=True)
class Drawn:
    """The image of the whole dashboard, pasted and compressed by a thread while this process
    renders the HTML page (zlib lets go of the GIL: the page and the image share two cores)."""

    encoding: Future[bytes]
    pool: ThreadPoolExecutor

    def png(self) -> bytes:
        """The image, once the thread is gone: a thread left running would keep any later
        fork in this process from sharing work (`fork_workers`)."""
        image = self.encoding.result()
        self.pool.shutdown(wait=True)
        return image


def _made_aside(overview: Overview, charts: tuple[bytes, ...]) -> Drawn:
    pool = ThreadPoolExecutor(1)
    encoding = pool.submit(overview.png, charts)
    pool.shutdown(wait=False)  # the thread ends with its one job, whether `png` is asked or not
    return Drawn(encoding, pool)


def draw_images(data: DashboardData, formatter: Formatter) -> tuple[dict[int, bytes], Drawn]:
    """Each drawn figure's image by its place in the dashboard, and the whole dashboard's."""
    charts = [(index, figure) for index, figure in enumerate(data.figures) if is_drawn(figure)]
    if len(charts) < SHARED_FROM or fork_workers() < 2:
        overview = draw_overview(data, formatter, len(charts))
        images = _drawn(charts, formatter)
    else:
        mine, theirs = _halves(charts)
        child = started(lambda: marshal.dumps(list(_drawn(theirs, formatter).values())))
        overview = draw_overview(data, formatter, len(charts))
        images = _drawn(mine, formatter)
        sent = _received(child.result() if child is not None else None, len(theirs))
        if sent is None:  # the child could not draw them: here
            images |= _drawn(theirs, formatter)
        else:
            images |= dict(zip((index for index, _f in theirs), sent, strict=True))
    return images, _made_aside(overview, tuple(images[index] for index, _f in charts))


def _halves(charts: Placed) -> tuple[Placed, Placed]:
    """The charts drawn here, and those the child draws: about half the work each, from the
    end for the child."""
    weights = [_BOARD_WEIGHT if isinstance(f, BoardFigure) else 1 for _i, f in charts]
    here, theirs = len(charts), 0
    while here > 0 and 2 * theirs < sum(weights):
        here -= 1
        theirs += weights[here]
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
