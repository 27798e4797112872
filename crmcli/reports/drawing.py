"""A dashboard's images, drawn on two cores: a forked child draws the image of the whole
dashboard while this process draws each chart's. matplotlib draws on one core, and the whole
dashboard costs about as much as its charts together, so on a large dashboard this halves
the time of drawing.

The bytes are the same either way: the same figures, drawn by the same code. A dashboard of a
few charts, one core, a process with other threads (`fork_workers`), `CRM_PROCESSES=1`, or a
child that fails in any way: everything is drawn here.
"""

from __future__ import annotations

from crmcli.core.forked import started
from crmcli.core.parse_pool import fork_workers
from crmcli.fields.formatting import Formatter
from crmcli.reports.charts import chart_png, is_drawn, overview_png
from crmcli.reports.figures import DashboardData

SHARED_FROM = 4  # charts; with fewer, forking costs about what it saves


def draw_images(data: DashboardData, formatter: Formatter) -> tuple[dict[int, bytes], bytes]:
    """Each drawn figure's image by its place in the dashboard, and the whole dashboard's."""
    charts = [(index, figure) for index, figure in enumerate(data.figures) if is_drawn(figure)]
    shared = len(charts) >= SHARED_FROM and fork_workers() >= 2
    child = started(lambda: overview_png(data, formatter)) if shared else None
    images = {index: chart_png(figure, formatter) for index, figure in charts}
    overview = child.result() if child is not None else None
    return images, overview or overview_png(data, formatter)
