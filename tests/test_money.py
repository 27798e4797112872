"""Money without float artefacts: arithmetic on the decimals people wrote, rounded half up
where it is shown, and sums of many amounts with cents exact to the cent."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from crmcli.core.loader import Loader
from crmcli.engine.compute import compute
from crmcli.fields.formatting import Formatter
from crmcli.reports.figures import Stat

from .conftest import TODAY
from .test_dashboards import dashboard, figures_of

FRENCH = Formatter("fr_FR", "EUR")
NNBSP, NBSP = "\u202f", "\xa0"


def euros(text: str) -> str:
    """'5 075,53 €' written with Babel's spaces (narrow no-break, then no-break)."""
    whole, _space, sign = text.rpartition(" ")
    return whole.replace(" ", NNBSP) + NBSP + sign


@pytest.mark.parametrize(
    ("value", "shown"),
    [(46400.525, "46 400,53 €"), (0.125, "0,13 €"), (2.675, "2,68 €"), (12000, "12 000,00 €")],
)
def test_money_is_shown_rounded_half_up_from_the_amount_as_written(value, shown):
    assert FRENCH.money(value) == euros(shown)


def test_percent_and_numbers_round_half_up_too():
    assert FRENCH.percent(12.345) == "12,35%"
    assert FRENCH.number(1.0005) == "1,001"


def deals(amounts: list[float]) -> dict[str, str]:
    files = {
        "opportunities/_project.yaml": """
            name: Opportunities
            record_name: Deal
            lists: [{name: Lead, probability: 0.7}, {name: Won, outcome: won}]
            fields:
              amount: {type: currency}
              weighted: {type: formula, expr: "amount * 0.7", format: currency}
              client: {type: reference, project: clients}
        """,
        "clients/_project.yaml": """
            name: Clients
            lists: [Clients]
            fields:
              opportunities: {type: referenced_by, from: opportunities.client}
              total: {type: rollup, through: opportunities, field: amount, agg: sum}
        """,
        "crm.yaml": "name: Atelier\nlocale: fr_FR\ncurrency: EUR\ntimezone: Europe/Paris\n",
        "dashboards/test.yaml": dashboard(
            "{type: stat, title: sum, project: opportunities, measure: sum(amount)}",
            "{type: stat, title: weighted, project: opportunities, measure: weighted(amount)}",
        ),
        "clients/acme.yaml": "name: Acme\nlist: Clients\n",
    }
    for number, amount in enumerate(amounts):
        files[f"opportunities/d{number:05}.yaml"] = (
            f"name: Deal {number}\nlist: Lead\nclient: acme\namount: {amount}\n"
        )
    return files


def test_a_formula_multiplies_money_as_written(workspace):
    root = workspace(deals([7250.75]), base=False)
    loader = Loader(root)
    model = loader.load()
    compute(model, loader.log, TODAY)
    deal = model.projects["opportunities"].records["d00000"]
    assert deal.computed["weighted"] == 5075.525
    definition = model.projects["opportunities"].fields["weighted"]
    assert FRENCH.value(definition, deal.computed["weighted"]) == euros("5 075,53 €")


def test_sums_of_ten_thousand_amounts_with_cents_are_exact(workspace):
    rng = random.Random(11)
    amounts = [rng.randint(1, 5_000_000) / 100 for _ in range(10_000)]
    exact = sum((Decimal(repr(a)) for a in amounts), Decimal(0))
    assert sum(amounts) != float(exact)  # what binary floats would have said
    root = workspace(deals(amounts), base=False)
    loader = Loader(root)
    model = loader.load()
    compute(model, loader.log, TODAY)
    assert model.projects["clients"].records["acme"].computed["total"] == float(exact)
    figures = {f.title: f for f in figures_of(root).values() if isinstance(f, Stat)}
    assert figures["sum"].value == float(exact)
    weighted = sum((Decimal(repr(a)) * Decimal("0.7") for a in amounts), Decimal(0))
    assert figures["weighted"].value == float(weighted)
