"""NFC and NFD spellings of one option or tag are the same value (issue “No silent losses”)."""

from __future__ import annotations

from pathlib import Path

import pytest

from crmcli.reports.figures import Chart
from crmcli.reports.report import ReportRequest, dashboard_data

from .conftest import BASE_FILES, check, codes, crm_in_process, load

NFC = "Caf\u00e9"
NFD = "Cafe\u0301"
ENV = {"CRM_USER": "alice", "CRM_NOW": "2026-11-23T12:00:00+01:00"}


@pytest.fixture
def root(workspace) -> Path:
    """Options and tags written in NFC; one deal spells them in NFD, another in NFC."""
    schema = (
        BASE_FILES["opportunities/_project.yaml"]
        .replace("tags: [website, seo]", f"tags: [website, seo, {NFC}]")
        .rstrip(" ")
    )
    schema += f"          source: {{type: select, options: [{NFC}, Website]}}\n"
    deal = "name: {name}\nlist: Lead\nclient: acme\namount: {amount}\ntags: [{tag}]\n"
    return workspace(
        {
            "opportunities/_project.yaml": schema,
            "opportunities/nfd.yaml": deal.format(name="NFD", amount=1000, tag=NFD)
            + f"source: {NFD}\n",
            "opportunities/nfc.yaml": deal.format(name="NFC", amount=2000, tag=NFC),
            "opportunities/plain.yaml": deal.format(name="Plain", amount=4000, tag="seo")
            + "source: Website\n",
            "dashboards/test.yaml": "title: Test\nwidgets:\n"
            "  - {type: pie, title: tags, project: opportunities, measure: sum(amount), by: tags}\n",
        }
    )


def run(root: Path, *args: str) -> tuple[int, str, str]:
    result = crm_in_process("-C", root, *args, env=ENV)
    return result.returncode, result.stdout, result.stderr


def test_a_record_spelling_options_and_tags_in_nfd_is_valid(root):
    assert codes(check(root)) == []


def test_where_finds_a_record_whatever_the_form_of_either_side(root):
    for literal in (NFC, NFD):
        code, out, err = run(
            root, "list", "opportunities", "--where", f"source == '{literal}'", "--format", "csv"
        )
        assert code == 0, err
        assert "nfd," in out
        assert "plain," not in out


def test_set_stores_the_options_nfc_spelling(root):
    code, _out, err = run(root, "set", "opportunities/plain", f"source={NFD}", f"tags={NFD}")
    assert code == 0, err
    stored = load(root, "opportunities/plain.yaml")
    assert stored["source"] == NFC
    assert stored["tags"] == [NFC]


def test_a_pie_by_tag_counts_both_forms_as_one_category(root, monkeypatch):
    monkeypatch.setenv("CRM_NOW", ENV["CRM_NOW"])
    data = dashboard_data(root, ReportRequest("test"))  # type: ignore[arg-type]
    (chart,) = [figure for figure in data.figures if figure.title == "tags"]
    assert isinstance(chart, Chart)
    slices = dict(zip(chart.categories, chart.series[0].values, strict=True))
    assert slices[NFC] == 3000
    assert NFD not in slices
