"""Issue 14, drawing `crm dashboard` on two cores (reports/drawing.py, reports/overview.py): a
forked child draws some charts while this process draws the others, and the image of the whole
dashboard pastes each chart's own pixels. The bytes must be those drawn in one process; a child
that dies leaves every chart to this process."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy
import pytest
from PIL import Image

from crmcli.fields.formatting import Formatter
from crmcli.reports import drawing
from crmcli.reports.charts import CHART_SIZE, DPI, is_drawn
from crmcli.reports.figures import DashboardData
from crmcli.reports.overview import draw_overview

from .conftest import environment
from .test_dashboard_aside import DASHBOARD, computed
from .test_dashboard_shared_work import NOW, two_deals


@pytest.fixture
def data(workspace) -> DashboardData:
    return computed(two_deals(workspace, DASHBOARD), "1")


def drawn(data: DashboardData, processes: str) -> tuple[dict[int, bytes], bytes]:
    with environment({"CRM_PROCESSES": processes}):
        images, overview = drawing.draw_images(data, Formatter(data.locale, data.currency))
    return images, overview.png()


def pixels(png: bytes) -> numpy.ndarray:
    return numpy.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


def test_the_charts_drawn_by_the_child_are_those_drawn_here(data: DashboardData) -> None:
    assert len([f for f in data.figures if is_drawn(f)]) >= drawing.SHARED_FROM  # it forks
    parent = os.getpid()
    assert drawn(data, "2") == drawn(data, "1")
    assert os.getpid() == parent


def test_a_child_that_dies_leaves_every_chart_to_this_process(
    data: DashboardData, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = drawn(data, "1")
    parent, draw = os.getpid(), drawing._drawn

    def dying(charts, formatter):  # the child leaves before sending anything
        if os.getpid() != parent:
            os._exit(3)
        return draw(charts, formatter)

    monkeypatch.setattr(drawing, "_drawn", dying)
    assert drawn(data, "2") == here


def test_the_whole_dashboard_shows_each_chart_with_the_pixels_of_its_own_image(
    data: DashboardData,
) -> None:
    images, overview = drawn(data, "1")
    whole = pixels(overview)
    width, height = int(CHART_SIZE[0] * DPI), int(CHART_SIZE[1] * DPI)
    assert whole.shape[1] == 2 * width
    for place, image in enumerate(images.values()):  # two by two, left to right
        chart = pixels(image)
        assert chart.shape[:2] == (height, width)
        left = place % 2 * width
        tops = [
            y
            for y in range(whole.shape[0] - height + 1)
            if numpy.array_equal(whole[y, left : left + width], chart[0])
            and numpy.array_equal(whole[y : y + height, left : left + width], chart)
        ]
        assert tops, f"chart {place + 1} is not in the overview"


def test_a_long_table_shows_its_first_rows_only(data: DashboardData) -> None:
    from dataclasses import replace

    from crmcli.reports.figures import RecordTable

    formatter = Formatter(data.locale, data.currency)
    table = RecordTable("Deals", "", ("Name",), tuple((f"Deal {n}",) for n in range(500)), "")
    short = replace(table, rows=table.rows[:12])
    tall = draw_overview(replace(data, figures=(*data.figures, table)), formatter, 0).png([])
    cut = draw_overview(replace(data, figures=(*data.figures, short)), formatter, 0).png([])
    assert pixels(tall).shape == pixels(cut).shape
    assert pixels(tall).shape[0] < 3000


def test_the_charts_are_drawn_here_below_the_share(
    data: DashboardData, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(drawing, "SHARED_FROM", 100)
    monkeypatch.setattr(drawing, "started", lambda work: pytest.fail("forked"))
    images, _overview = drawn(data, "2")
    assert len(images) == len([f for f in data.figures if is_drawn(f)])


def test_the_files_of_a_report_are_those_drawn_in_one_process(workspace, tmp_path: Path) -> None:
    from crmcli.reports.report import ReportRequest, build_report

    root = two_deals(workspace, DASHBOARD)
    written = {}
    for processes in ("1", "2"):
        out = tmp_path / processes
        with environment({"CRM_NOW": NOW, "CRM_USER": "alice", "CRM_PROCESSES": processes}):
            build_report(root, ReportRequest("test", out=out))
        written[processes] = {p.name: p.read_bytes() for p in sorted(out.iterdir())}
    assert written["1"] == written["2"]
    assert len(written["1"]) == 6  # the page, the overview and four charts


def test_the_child_takes_about_half_the_work_from_the_end(data: DashboardData) -> None:
    charts = [(i, f) for i, f in enumerate(data.figures) if is_drawn(f)]
    mine, theirs = drawing._halves(charts)
    assert [type(f).__name__ for _i, f in theirs] == ["BoardFigure"]  # weighs three charts
    assert mine + theirs == charts
    mine, theirs = drawing._halves(charts[:2] * 3)  # six charts: three each
    assert len(mine) == len(theirs) == 3
