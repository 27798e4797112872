"""editing.atomic.replace_all: the one staged temp-file rename, serving bytes (a dashboard's
page and charts) as well as the records' text."""

import pytest

from crmcli.editing.atomic import replace_all


def test_replace_all_overwrites_whatever_the_files_held(tmp_path):
    page = tmp_path / "report.html"
    page.write_bytes(b"old page")
    chart = tmp_path / "chart.png"

    replace_all({page: b"<html>new</html>", chart: b"\x89PNG\r\n"})

    assert page.read_bytes() == b"<html>new</html>"
    assert chart.read_bytes() == b"\x89PNG\r\n"  # bytes as given: no newline translation
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chart.png", "report.html"]


def test_replace_all_writes_nothing_when_one_file_cannot_be_staged(tmp_path):
    page = tmp_path / "report.html"
    page.write_bytes(b"old page")
    blocker = tmp_path / "charts"
    blocker.write_bytes(b"a file where a folder should be")

    with pytest.raises(OSError):
        replace_all({page: b"new page", blocker / "chart.png": b"png"})

    assert page.read_bytes() == b"old page"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["charts", "report.html"]
