"""Derived deal values decided once (`crmcli.engine.deals`): the dashboard and `crm diff`
agree on a deal's probability and weighted value, whatever holds the probability and
whatever the value field is called."""

from __future__ import annotations

import pytest

from crmcli.review.diff import open_review
from crmcli.review.render_json import review_data

from .conftest import check, codes
from .repos import Repo
from .test_dashboards import dashboard, figures_of, value

DEAL = "opportunities/globex-seo.yaml"


def deals_schema(probability: str, value_field: str = "") -> str:
    return f"""
        name: Opportunities
        record_name: Deal
        {value_field}
        lists:
          - {{name: Lead, probability: 0.01}}
          - {{name: Won, outcome: won}}
        fields:
          amount: {{type: currency}}
          confidence: {{type: rating, max: 5}}
          probability: {probability}
          client: {{type: reference, project: clients}}
    """


def pipeline_repo(workspace, files: dict[str, str]) -> Repo:
    root = workspace(
        {
            "dashboards/test.yaml": dashboard(
                "{type: stat, title: weighted, project: opportunities, measure: weighted(amount)}"
            ),
            DEAL: "{name: Globex — SEO, list: Lead, client: acme, amount: 10000, confidence: 3}",
            **files,
        }
    )
    repository = Repo(root, root)
    repository.commit("workspace")
    return repository


def diff_figures(repo: Repo) -> dict:
    (figures,) = review_data(open_review(repo.root))["pipeline"]["projects"]
    return figures


def test_a_probability_formula_shown_as_percent_counts_the_same_in_dashboard_and_diff(workspace):
    # confidence 4 of 5 read as 4 %: 10 000 × 4 % = 400, not the list's 1 % (100)
    files = {
        "opportunities/_project.yaml": deals_schema(
            '{type: formula, expr: "confidence", format: percent}'
        )
    }
    repo = pipeline_repo(workspace, files)
    repo.replace(DEAL, "confidence: 3", "confidence: 4")
    figures = diff_figures(repo)
    assert figures["weighted_forecast"] == pytest.approx({"before": 300, "after": 400})
    assert value(figures_of(repo.root), "weighted") == pytest.approx(400)


@pytest.mark.parametrize(
    ("probability", "stored", "weighted"),
    [
        ("{type: percent}", "80", 8000),  # 80 means 80 %
        ("{type: number}", "0.8", 8000),  # a fraction
        ('{type: formula, expr: "confidence / 5"}', "", 6000),  # a fraction: 3 / 5
    ],
)
def test_what_holds_the_probability_decides_its_scale(workspace, probability, stored, weighted):
    files = {"opportunities/_project.yaml": deals_schema(probability)}
    repo = pipeline_repo(workspace, files)
    if stored:
        repo.replace(DEAL, "confidence: 3", f"confidence: 3, probability: {stored}")
    else:
        repo.replace(DEAL, "confidence: 3", "confidence: 3 ")
    assert value(figures_of(repo.root), "weighted") == pytest.approx(weighted)
    assert diff_figures(repo)["weighted_forecast"]["after"] == pytest.approx(weighted)


def test_a_deal_without_its_own_probability_counts_its_list_probability(workspace):
    repo = pipeline_repo(
        workspace, {"opportunities/_project.yaml": deals_schema("{type: percent}")}
    )
    assert value(figures_of(repo.root), "weighted") == pytest.approx(100)


@pytest.mark.parametrize(
    ("probability", "stored"),
    [("{type: number}", "1.5"), ("{type: percent}", "150"), ("{type: percent}", "-5")],
)
def test_a_probability_outside_its_range_is_a_check_problem(workspace, probability, stored):
    root = workspace(
        {
            "opportunities/_project.yaml": deals_schema(probability),
            DEAL: f"""
                name: Globex — SEO
                list: Lead
                client: acme
                amount: 10000
                probability: {stored}
            """,
        }
    )
    result = check(root)
    (problem,) = [p for p in result.problems if p.code == "probability-out-of-range"]
    assert (problem.path, problem.line) == (DEAL, 5)


def test_an_in_range_probability_is_no_problem(workspace):
    root = workspace({"opportunities/_project.yaml": deals_schema("{type: percent}")})
    assert "probability-out-of-range" not in codes(check(root))


CONFIG = """
    name: Atelier
    locale: fr_FR
    currency: EUR
    timezone: Europe/Paris
"""
FRENCH_DEALS = """
    name: Opportunités
    record_name: Affaire
    value_field: montant
    lists:
      - {name: Prospect, probability: 0.2}
      - {name: Gagnée, outcome: won}
    fields:
      cout: {type: currency}
      montant: {type: currency}
      client: {type: reference, project: clients}
"""


def test_diff_sums_the_declared_value_field_of_a_french_workspace(workspace):
    root = workspace(
        {
            "crm.yaml": CONFIG,
            "opportunities/_project.yaml": FRENCH_DEALS,
            "opportunities/acme-website.yaml": """
                name: Acme — Site
                list: Prospect
                client: acme
                cout: 1000
                montant: 5000
            """,
            "clients/_project.yaml": """
                name: Clients
                lists: [Clients]
                fields:
                  email: {type: email}
                  region: {type: select, options: [Paris, Lyon]}
            """,
        }
    )
    repo = Repo(root, root)
    repo.commit("workspace")
    assert not [p for p in check(root).problems if p.is_error]
    repo.replace("opportunities/acme-website.yaml", "montant: 5000", "montant: 7000")
    figures = diff_figures(repo)
    assert figures["pipeline_value"] == {"before": 5000, "after": 7000}
    assert figures["weighted_forecast"] == pytest.approx({"before": 1000, "after": 1400})


def test_without_value_field_the_first_currency_field_is_the_value(workspace):
    schema = FRENCH_DEALS.replace("value_field: montant", "").replace("cout: {type: currency}", "")
    root = workspace(
        {
            "crm.yaml": CONFIG,
            "opportunities/_project.yaml": schema.replace("montant", "summa"),
            "opportunities/acme-website.yaml": """
                name: Acme — Site
                list: Prospect
                client: acme
                summa: 5000
            """,
        }
    )
    repo = Repo(root, root)
    repo.commit("workspace")
    repo.replace("opportunities/acme-website.yaml", "summa: 5000", "summa: 6000")
    assert diff_figures(repo)["pipeline_value"] == {"before": 5000, "after": 6000}
