"""Issue 19, points 2, 4 and 5 in dashboards: a stat of open deals without a next step, a
table of overdue next steps, and a `type: board` widget, drawn in the HTML page (checked in a
real headless Chromium) and as a PNG; a role that may not see a field finds it nowhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import check, crm, plain
from .day_fixtures import ENV, FILES, day_repo
from .test_dashboard_render import browser, png_is_a_real_picture

__all__ = ["browser"]  # the headless Chromium fixture of the dashboard tests

DASHBOARD = """
    title: Day
    filters: {projects: [opportunities]}
    widgets:
      - {type: stat, title: Open deals without a next step, measure: count,
         where: "outcome == 'open' and not has_next_step"}
      - {type: table, title: Overdue next steps, where: "next_step_overdue",
         columns: [name, next_step_what, next_step_due, next_step_by], sort: next_step_due}
      - {type: board, title: Pipeline board}
"""


def render(root: Path, out: Path, *args: str) -> str:
    result = crm("dashboard", "day", "--out", out, *args, cwd=root, env=ENV)
    assert result.returncode == 0, result.stderr
    return (out / "day.html").read_text(encoding="utf-8")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return day_repo(tmp_path / "ws", {"dashboards/day.yaml": DASHBOARD})


def test_the_stat_and_the_table_of_next_steps(root: Path, tmp_path: Path) -> None:
    assert check(root).problems == []
    html = plain(render(root, tmp_path / "out"))
    stat = re.search(r"Open deals without a next step</h2>\s*<p class=\"value\">(\d+)</p>", html)
    assert stat and stat[1] == "1"  # Acme; Globex and Initech have one, Umbrella is won
    table = html[html.index("Overdue next steps") :]
    rows = re.findall(r"<tr><th scope=\"row\">(.*?)</th>(.*?)</tr>", table)
    assert rows[0][0] == "Globex — SEO audit"
    assert "Call the CTO" in rows[0][1] and "28 nov. 2026" in rows[0][1]
    assert "Bruno Petit" in rows[0][1]  # the member by name, not by id
    headers = re.findall(r'<th scope="col">(.*?)</th>', table.split("</table>")[0])
    assert headers == ["Name", "Next step", "Next step due", "Next step by"]
    assert len(re.findall(r"<tr><th scope=\"row\">", table.split("</table>")[0])) == 1


def test_a_board_widget_needs_one_project_with_lists(tmp_path: Path) -> None:
    root = day_repo(
        tmp_path / "ws",
        {
            "dashboards/day.yaml": "title: Day\nwidgets:\n  - {type: board, title: B, projects: [opportunities, clients]}\n"
        },
    )
    problems = [p for p in check(root).problems if p.path == "dashboards/day.yaml"]
    assert [p.code for p in problems] == ["board-shape"]
    assert "a board shows the lists of one project" in problems[0].message


def test_the_board_png_is_drawn(root: Path, tmp_path: Path) -> None:
    render(root, tmp_path / "out")
    png_is_a_real_picture(tmp_path / "out" / "day-03-pipeline-board.png", 700, 400)


def test_the_html_board_in_headless_chromium(root: Path, tmp_path: Path, browser) -> None:
    from selenium.webdriver.common.by import By

    render(root, tmp_path / "out")
    browser.get((tmp_path / "out" / "day.html").as_uri())
    board = browser.find_element(By.CSS_SELECTOR, ".board")
    columns = board.find_elements(By.CSS_SELECTOR, ".board-column")
    assert [c.find_element(By.TAG_NAME, "h3").text for c in columns] == ["Lead", "Proposal sent"]
    sums = [plain(c.find_element(By.CSS_SELECTOR, ".board-sum").text) for c in columns]
    assert sums == ["2 cards · 34 500,00 €", "1 card · 12 000,00 €"]
    lead = columns[0].find_elements(By.CSS_SELECTOR, ".board-card")
    assert [card.get_attribute("data-record") for card in lead] == [
        "opportunities/initech-app",
        "opportunities/globex-seo",
    ]
    assert plain(lead[1].find_element(By.CSS_SELECTOR, ".board-details").text) == (
        "4 500,00 € · Bruno Petit"
    )
    aging = browser.find_elements(By.CSS_SELECTOR, ".board-card.aging")
    assert [card.get_attribute("data-record") for card in aging] == ["opportunities/acme-website"]
    assert aging[0].find_element(By.CSS_SELECTOR, ".board-aging").text == "⚠ 41 days in the list"
    assert aging[0].value_of_css_property("border-left-color") == "rgba(192, 57, 43, 1)"
    # a long name is cut with an ellipsis inside its card; nothing sticks out of the page
    name = lead[0].find_element(By.CSS_SELECTOR, ".board-name")
    assert browser.execute_script(
        "return arguments[0].scrollWidth > arguments[0].clientWidth", name
    )
    assert name.value_of_css_property("text-overflow") == "ellipsis"
    browser.set_window_size(700, 1000)
    assert browser.execute_script(
        "return document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )
    for column in columns:
        assert column.is_displayed() and column.size["width"] > 80
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []


def test_a_role_finds_no_hidden_field_on_the_board_or_the_next_step_widgets(
    tmp_path: Path,
) -> None:
    crm_yaml = FILES["crm.yaml"].replace("opportunities.cost,", "opportunities.amount,")
    root = day_repo(tmp_path / "ws", {"crm.yaml": crm_yaml, "dashboards/day.yaml": DASHBOARD})
    html = plain(render(root, tmp_path / "out", "--as", "bruno"))
    board = html[html.index('class="board"') :]
    assert "€" not in board and "Initech" in board and "Alice Martin" in board
    # next_step is hidden from bruno's role: both widgets on next steps are left out
    assert html.count("Not shown to the junior role") == 2
    assert "Call the CTO" not in html
