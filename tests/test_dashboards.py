"""Dashboards on small workspaces written in the test: measures, filters, periods, merged
lists and tags, roles, escaping, locales, --as-of and dates from git."""

from __future__ import annotations

import os
import warnings
from datetime import date
from pathlib import Path

import pytest
from babel.dates import format_skeleton

from crmcli.reports.figures import Chart, DashboardData, Omitted, RecordTable, Stat
from crmcli.reports.period import Period, parse_period_option
from crmcli.reports.report import ReportRequest, build_report, dashboard_data

from . import repos
from .conftest import crm
from .repos import git

NOW = "2026-11-23T12:00:00+01:00"

DEALS = {
    "opportunities/_project.yaml": """
        name: Opportunities
        record_name: Deal
        lists:
          - {name: Lead, probability: 0.1}
          - {name: Proposal sent, probability: 0.5, max_days: 14}
          - {name: Won, outcome: won}
          - {name: Lost, outcome: lost}
        tags: [website, seo]
        fields:
          amount: {type: currency}
          cost: {type: currency}
          profit: {type: formula, expr: "amount - cost", format: currency}
          probability: {type: percent}
          client: {type: reference, project: clients, required: true}
          lost_reason: {type: select, options: [Price, Timing], required_in: [Lost]}
    """,
    "opportunities/a.yaml": """
        name: A
        list: Proposal sent
        tags: [seo]
        client: acme
        amount: 10000
        cost: 4000
        created: 2026-09-01T10:00:00+02:00
        history:
          - {list: Lead, at: 2026-09-01T10:00:00+02:00, by: alice}
          - {list: Proposal sent, at: 2026-09-11T10:00:00+02:00, by: alice}
    """,
    "opportunities/b.yaml": """
        name: B
        list: Won
        tags: [website, seo]
        client: acme
        amount: 5000
        created: 2026-08-01T10:00:00+02:00
        history:
          - {list: Lead, at: 2026-08-01T10:00:00+02:00, by: alice}
          - {list: Proposal sent, at: 2026-08-05T10:00:00+02:00, by: alice}
          - {list: Won, at: 2026-10-15T10:00:00+02:00, by: alice}
    """,
    "opportunities/c.yaml": """
        name: C
        list: Lost
        client: acme
        amount: 3000
        lost_reason: Price
        created: 2026-07-01T10:00:00+02:00
        history:
          - {list: Lead, at: 2026-07-01T10:00:00+02:00, by: alice}
          - {list: Lost, at: 2026-07-21T10:00:00+02:00, by: alice}
    """,
    "opportunities/d.yaml": """
        name: D
        list: Lead
        client: acme
        amount: 2000
        probability: 80
        created: 2026-11-20T10:00:00+01:00
    """,
}


def dashboard(*widgets: str, head: str = "title: Test\n") -> str:
    return head + "widgets:\n" + "".join(f"  - {w}\n" for w in widgets)


def figures_of(root: Path, name: str = "test", **request: object) -> dict[str, object]:
    data = data_of(root, name, **request)
    return {figure.title: figure for figure in data.figures}


def data_of(root: Path, name: str = "test", **request: object) -> DashboardData:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CRM_NOW", NOW)
        return dashboard_data(root, ReportRequest(name, **request))  # type: ignore[arg-type]


def value(figures: dict[str, object], title: str) -> float | None:
    figure = figures[title]
    assert isinstance(figure, Stat), figure
    return figure.value


def bars(figures: dict[str, object], title: str) -> dict[str, float | None]:
    figure = figures[title]
    assert isinstance(figure, Chart), figure
    return dict(zip(figure.categories, figure.series[0].values, strict=True))


def month(year: int, number: int, locale: str = "fr_FR") -> str:
    return format_skeleton("yMMM", date(year, number, 1), locale=locale)


# measures


@pytest.fixture
def measured(workspace):
    return workspace(
        {
            **DEALS,
            "dashboards/test.yaml": dashboard(
                "{type: stat, title: count, project: opportunities}",
                "{type: stat, title: sum, project: opportunities, measure: sum(amount)}",
                "{type: stat, title: avg, project: opportunities, measure: avg(amount)}",
                "{type: stat, title: min, project: opportunities, measure: min(amount)}",
                "{type: stat, title: max, project: opportunities, measure: max(amount)}",
                "{type: stat, title: weighted, project: opportunities, measure: weighted(amount)}",
                "{type: stat, title: win rate, project: opportunities, measure: win_rate}",
                "{type: stat, title: conversion, project: opportunities, measure: 'conversion(Lead, Won)'}",
                "{type: stat, title: stale, project: opportunities, measure: stale(14)}",
                "{type: bar, title: velocity, project: opportunities, measure: velocity}",
                "{type: bar, title: by tag, project: opportunities, measure: sum(amount), by: tags, where: \"outcome == 'won'\"}",
                "{type: table, title: stale deals, project: opportunities, measure: stale(14), columns: [name, amount]}",
            ),
        }
    )


def test_count_sum_average_min_max(measured):
    figures = figures_of(measured)
    amounts = [12000, 10000, 5000, 3000, 2000]  # acme-website of the base workspace, a–d
    assert value(figures, "count") == 5
    assert value(figures, "sum") == sum(amounts)
    assert value(figures, "avg") == sum(amounts) / 5
    assert value(figures, "min") == 2000 and value(figures, "max") == 12000


def test_weighted_pipeline_uses_the_deal_own_probability_where_set(measured):
    # a: Proposal sent (50 %) × 10 000; d: its own probability field, 80 %, not Lead's 10 %
    assert value(figures_of(measured), "weighted") == pytest.approx(0.5 * 10000 + 0.8 * 2000)


def test_win_rate_is_won_over_won_and_lost(measured):
    assert value(figures_of(measured), "win rate") == pytest.approx(2 / 3)


def test_conversion_is_the_share_of_deals_that_reached_b_after_a(measured):
    # a, b, c entered Lead (history), d is in it; only b went on to Won
    assert value(figures_of(measured), "conversion") == pytest.approx(1 / 4)


def test_velocity_is_the_average_days_per_stage_from_history(measured):
    velocity = bars(figures_of(measured), "velocity")
    assert velocity == pytest.approx({"Lead": (10 + 4 + 20) / 3, "Proposal sent": 71})


def test_stale_deals_are_open_and_not_updated_for_n_days(measured):
    figures = figures_of(measured)
    assert value(figures, "stale") == 1  # a: quiet since 11 Sept; d was created 3 days ago
    table = figures["stale deals"]
    assert isinstance(table, RecordTable)
    assert table.headers == ("Name", "Amount") and [r[0] for r in table.rows] == ["A"]


def test_a_deal_with_two_tags_counts_in_both(measured):
    assert bars(figures_of(measured), "by tag") == {"website": 17000, "seo": 5000}


# filters, periods, merged lists and tags


PARTNERS = {
    "partners/_project.yaml": """
        name: Partner deals
        record_name: Partner deal
        lists: [{name: Lead, probability: 0.2}, {name: Won, outcome: won}]
        tags: [seo, events]
        fields:
          amount: {type: currency}
    """,
    "partners/p1.yaml": "name: P1\nlist: Lead\ntags: [seo]\namount: 1000\n",
    "partners/p2.yaml": "name: P2\nlist: Won\ntags: [events]\namount: 4000\n",
}


def test_same_named_lists_and_tags_merge_across_projects(workspace):
    root = workspace(
        {
            **DEALS,
            **PARTNERS,
            "dashboards/test.yaml": dashboard(
                "{type: bar, title: stages, measure: count, by: list}",
                "{type: pie, title: tags, measure: sum(amount), by: tags}",
                "{type: stat, title: seo, measure: count, tags: [seo]}",
                "{type: stat, title: won, measure: sum(amount), lists: [Won]}",
                head="title: Test\nfilters: {projects: [opportunities, partners]}\n",
            ),
        }
    )
    figures = figures_of(root)
    assert bars(figures, "stages") == {"Lead": 2, "Proposal sent": 1, "Won": 3, "Lost": 1}
    assert bars(figures, "tags") == {"website": 17000, "seo": 16000, "events": 4000, "(none)": 5000}
    assert value(figures, "seo") == 3  # a, b and p1
    assert value(figures, "won") == 12000 + 5000 + 4000


def test_dashboard_filters_narrow_every_widget_and_say_where_they_do_not_apply(workspace):
    root = workspace(
        {
            **DEALS,
            **PARTNERS,
            "dashboards/test.yaml": dashboard(
                "{type: stat, title: deals, project: opportunities}",
                "{type: stat, title: partners, project: partners, measure: sum(amount)}",
                head="title: Test\nfilters: {tags: [website], where: 'amount >= 4000'}\n",
            ),
        }
    )
    figures = figures_of(root)
    assert value(figures, "deals") == 2  # acme-website and b
    assert value(figures, "partners") == 4000  # partners have no tag website: only the where
    assert any("not filtered by them" in note for note in figures["partners"].notes)


def test_widget_period_where_and_lists(workspace):
    root = workspace(
        {
            **DEALS,
            "dashboards/test.yaml": dashboard(
                "{type: bar, title: created, project: opportunities, by: month(created), period: {from: 2026-07-01, to: 2026-10-31}}",
                "{type: stat, title: open, project: opportunities, measure: sum(amount), lists: [Lead, Proposal sent]}",
                "{type: stat, title: big, project: opportunities, where: 'amount > 4000 and outcome != \"lost\"'}",
                "{type: stat, title: won, project: opportunities, measure: sum(amount), date: won_at, period: {last: 2 months}}",
            ),
        }
    )
    figures = figures_of(root)
    created = figures["created"]
    assert bars(figures, "created") == {
        month(2026, 7): 1,
        month(2026, 8): 1,
        month(2026, 9): 1,
        month(2026, 10): 0,
    }
    assert value(figures, "open") == 12000
    assert value(figures, "big") == 3
    assert value(figures, "won") == 5000  # b, won 15 Oct; acme-website has no won date
    assert any("no won date" in note for note in figures["won"].notes)
    assert created.category_label == "Month (created)"


def test_period_and_tag_from_the_command_line(workspace):
    root = workspace(
        {
            **DEALS,
            "dashboards/test.yaml": dashboard(
                "{type: bar, title: created, project: opportunities, by: month(created)}",
                head="title: Test\nperiod: {last: 12 months}\n",
            ),
        }
    )
    assert bars(figures_of(root, period="last 3 months"), "created") == {
        month(2026, 9): 1,
        month(2026, 10): 0,
        month(2026, 11): 1,
    }
    assert sum(bars(figures_of(root, tags=("seo",)), "created").values()) == 2


@pytest.mark.parametrize(
    ("period", "window"),
    [
        (Period("last", 12, "month"), (date(2025, 12, 1), date(2026, 11, 23))),
        (Period("next", 6, "month"), (date(2026, 11, 1), date(2027, 4, 30))),
        (Period("last", 2, "week"), (date(2026, 11, 16), date(2026, 11, 23))),
        (Period("last", 30, "day"), (date(2026, 10, 25), date(2026, 11, 23))),
        (Period("last", 1, "quarter"), (date(2026, 10, 1), date(2026, 11, 23))),
        (Period("next", 1, "year"), (date(2026, 1, 1), date(2026, 12, 31))),
        (Period(start=date(2025, 1, 1)), (date(2025, 1, 1), None)),
    ],
)
def test_period_windows(period, window):
    assert period.window(date(2026, 11, 23)) == window


def test_period_option():
    assert parse_period_option("last 6 months") == Period("last", 6, "month")
    assert parse_period_option("next 2 quarters") == Period("next", 2, "quarter")
    assert parse_period_option("2025-01-01..2025-12-31") == Period(
        start=date(2025, 1, 1), end=date(2025, 12, 31)
    )
    assert parse_period_option("..2025-12-31") == Period(end=date(2025, 12, 31))


# roles, escaping, locales: the rendered files


def test_role_junior_sees_no_cost_nor_what_derives_from_it(workspace, tmp_path):
    root = workspace(
        {
            **DEALS,
            "dashboards/test.yaml": dashboard(
                "{type: stat, title: Profit, project: opportunities, measure: sum(profit)}",
                "{type: stat, title: Pipeline, project: opportunities, measure: sum(amount)}",
                "{type: table, title: Deals, project: opportunities, columns: [name, cost, amount], sort: -amount}",
            ),
        }
    )
    junior = build_report(root, ReportRequest("test", out=tmp_path / "junior", role="junior"))
    manager = build_report(root, ReportRequest("test", out=tmp_path / "manager", acting_as="alice"))
    figures = {f.title: f for f in junior.data.figures}
    assert isinstance(figures["Profit"], Omitted)
    assert "opportunities.profit" in figures["Profit"].reason
    assert figures["Deals"].headers == ("Name", "Amount")
    html = junior.html.read_text(encoding="utf-8")
    assert "7\u202f000,00" not in html and "4\u202f000,00" not in html  # costs
    assert "Not shown to the junior role" in html
    full = manager.html.read_text(encoding="utf-8")
    assert "7\u202f000,00" in full and "11\u202f000,00" in full  # a cost; the profit


def test_record_values_are_escaped_in_the_html(workspace, tmp_path):
    root = workspace(
        {
            "clients/evil.yaml": 'name: "<img src=x onerror=alert(1)>"\nlist: Clients\n',
            "opportunities/x.yaml": """
                name: "<script>alert('x')</script> & $5 deal"
                list: Won
                client: evil
                amount: 100
            """,
            "dashboards/test.yaml": dashboard(
                "{type: table, title: Deals, project: opportunities, columns: [name, client]}",
                "{type: bar, title: By client, project: opportunities, measure: sum(amount), by: client}",
            ),
        }
    )
    report = build_report(root, ReportRequest("test", out=tmp_path / "out"))
    html = report.html.read_text(encoding="utf-8")
    assert "<script" not in html and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp;" in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert report.overview.stat().st_size > 10_000  # drawn, `$` read as a dollar sign


def test_french_money_and_months(workspace, tmp_path):
    root = workspace(
        {
            **DEALS,
            "dashboards/test.yaml": dashboard(
                "{type: stat, title: Won, project: opportunities, measure: sum(amount), lists: [Won]}",
                "{type: bar, title: New, project: opportunities, by: month(created), period: {from: 2026-07-01, to: 2026-11-30}}",
            ),
        }
    )
    report = build_report(root, ReportRequest("test", out=tmp_path / "out"))
    html = report.html.read_text(encoding="utf-8")
    assert "17\u202f000,00\xa0€" in html
    assert "juil. 2026" in html and "août 2026" in html and "nov. 2026" in html


RUSSIAN = {
    "crm.yaml": """
        name: Ромашка
        locale: ru_RU
        currency: RUB
        timezone: Europe/Moscow
    """,
    "sdelki/_project.yaml": """
        name: Сделки
        record_name: Сделка
        lists: [{name: Новая, probability: 0.2}, {name: Переговоры, probability: 0.6}, {name: Выиграна, outcome: won}]
        tags: [сайт, реклама]
        fields:
          summa: {type: currency, label: Сумма}
    """,
    "sdelki/odin.yaml": "name: Ёлка и щётка\nlist: Переговоры\ntags: [сайт]\nsumma: 1250000\ncreated: 2026-10-02T10:00:00+03:00\n",
    "sdelki/dva.yaml": "name: Жёлтый дом\nlist: Выиграна\ntags: [реклама]\nsumma: 300000\ncreated: 2026-11-05T10:00:00+03:00\n",
    "dashboards/prodazhi.yaml": dashboard(
        "{type: stat, title: Воронка, project: sdelki, measure: sum(summa)}",
        "{type: pie, title: По этапам, project: sdelki, measure: sum(summa), by: list}",
        "{type: bar, title: По месяцам, project: sdelki, measure: sum(summa), by: month(created), series: tags, stacked: true, period: {last: 3 months}}",
        head="title: Продажи\n",
    ),
}


def test_russian_labels_render_in_html_and_png(workspace, tmp_path):
    root = workspace(RUSSIAN, base=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = build_report(root, ReportRequest("prodazhi", out=tmp_path / "out"))
    missing = [str(w.message) for w in caught if "missing from" in str(w.message)]
    assert missing == []  # every Cyrillic glyph was in the font
    html = report.html.read_text(encoding="utf-8")
    assert '<html lang="ru">' in html
    assert "Переговоры" in html and "реклама" in html and "Ёлка" not in html  # no record table
    assert "1\xa0550\xa0000,00\xa0₽" in html
    assert month(2026, 10, "ru_RU") in html and "окт." in html
    assert len(report.charts) == 2 and all(p.stat().st_size > 10_000 for p in report.charts)


def test_a_glyph_missing_from_the_font_would_be_noticed():
    """The check above is not vacuous: matplotlib warns about glyphs its font lacks."""
    from matplotlib.figure import Figure

    figure = Figure()
    figure.add_subplot().set_title("漢字")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figure.savefig(os.devnull, format="png")
    assert any("missing from" in str(w.message) for w in caught)


def test_default_folder_is_inside_the_workspace(workspace):
    root = workspace(
        {"dashboards/test.yaml": dashboard("{type: stat, title: Deals, project: opportunities}")}
    )
    result = crm("-C", root, "dashboard", "test", env={"CRM_NOW": NOW})
    assert result.returncode == 0, result.stderr
    assert (root / ".crm/reports/test/test.html").is_file()
    assert (root / ".crm/reports/test/test.png").is_file()
    assert "test.html" in result.stdout


# the past: --as-of, and dates from git


def commit(root: Path, when: str) -> None:
    repos.commit(root, f"state of {when}", when)


@pytest.fixture
def history(workspace):
    """A repository whose deal was a proposal in January and won in March (no history)."""
    root = workspace(
        {
            "opportunities/acme-website.yaml": "name: Acme\nlist: Proposal sent\nclient: acme\namount: 9000\n",
            "dashboards/test.yaml": dashboard(
                "{type: stat, title: Pipeline, project: opportunities, measure: sum(amount), where: \"outcome == 'open'\"}",
                "{type: bar, title: Won, project: opportunities, measure: sum(amount), by: month(won_at)}",
                "{type: bar, title: New, project: opportunities, by: month(created)}",
                head="title: Test\nperiod: {from: 2026-01-01, to: 2026-04-30}\n",
            ),
        }
    )
    git(root, "init", "-q")
    git(root, "config", "user.email", "alice@agency.example")
    git(root, "config", "user.name", "Alice")
    commit(root, "2026-01-10T10:00:00+01:00")
    deal = root / "opportunities/acme-website.yaml"
    deal.write_text(deal.read_text().replace("Proposal sent", "Won"))
    commit(root, "2026-03-15T10:00:00+01:00")
    return root


def test_won_at_and_created_come_from_git_when_the_file_has_no_history(history):
    figures = figures_of(history)
    assert value(figures, "Pipeline") == 0
    won = bars(figures, "Won")
    assert won[month(2026, 3)] == 9000 and sum(won.values()) == 9000
    new = bars(figures, "New")
    assert new[month(2026, 1)] == 1 and sum(new.values()) == 1


def test_as_of_a_revision(history):
    data = data_of(history, as_of="HEAD~1")
    figures = {f.title: f for f in data.figures}
    assert value(figures, "Pipeline") == 9000  # still a proposal then
    assert sum(bars(figures, "Won").values()) == 0
    assert data.as_of == date(2026, 1, 10) and data.revision


def test_as_of_a_date_reads_the_last_commit_on_or_before_it(history):
    data = data_of(history, as_of="2026-02-28")
    assert value({f.title: f for f in data.figures}, "Pipeline") == 9000
    assert data.as_of == date(2026, 2, 28)
    later = data_of(history, as_of="2026-03-15")
    assert value({f.title: f for f in later.figures}, "Pipeline") == 0
