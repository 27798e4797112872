"""The engine over a real workspace: references, backlinks, lookups, rollups and formulas.

Three projects chained the way an agency's CRM is: invoices → opportunities → clients.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from crmcli.errors import Problem

from .conftest import check

Workspace = Callable[..., Path]

CLIENTS = """
    name: Clients
    record_name: Company
    lists: [Prospects, Clients]
    fields:
      email: {type: email}
      region: {type: select, options: [Paris, Lyon, Marseille]}
      employees: {type: number}
      opportunities: {type: referenced_by, from: opportunities.client}
      partnerships: {type: referenced_by, from: opportunities.partners}
      deal_names: {type: lookup, through: opportunities, field: name}
      deal_lists: {type: lookup, through: opportunities, field: list}
      won_total: {type: rollup, through: opportunities, field: amount, agg: sum, where: "outcome == 'won'"}
      pipeline: {type: rollup, through: opportunities, field: amount, agg: sum, where: "outcome == 'open'"}
      deal_count: {type: rollup, through: opportunities, agg: count}
      smallest: {type: rollup, through: opportunities, field: amount, agg: min}
      largest: {type: rollup, through: opportunities, field: amount, agg: max}
      average: {type: rollup, through: opportunities, field: amount, agg: avg}
      deal_list: {type: rollup, through: opportunities, field: name, agg: join}
      profit_total: {type: rollup, through: opportunities, field: profit, agg: sum}
      last_close: {type: rollup, through: opportunities, field: close_date, agg: max}
      big_deals: {type: rollup, through: opportunities, agg: count, where: "amount >= 10000"}
      status: {type: formula, expr: "IF(won_total > 0, 'client ' + region, 'prospect')"}
"""

OPPORTUNITIES = """
    name: Opportunities
    record_name: Deal
    lists:
      - {name: Lead, probability: 0.1}
      - {name: Proposal sent, probability: 0.5}
      - {name: Won, outcome: won}
      - {name: Lost, outcome: lost}
    tags: [website, seo]
    fields:
      margin: {type: formula, expr: "IF(amount, ROUND(profit / amount * 100, 1), 0)"}
      label: {type: formula, expr: "UPPER(client_name) + ' — ' + name + ' (' + client.region + ')'"}
      profit: {type: formula, expr: "amount - cost"}
      amount: {type: currency}
      cost: {type: currency}
      close_date: {type: date}
      client: {type: reference, project: clients, required: true}
      partners: {type: reference, project: clients, multiple: true}
      client_name: {type: lookup, through: client, field: name}
      client_email: {type: lookup, through: client, field: email}
      client_region: {type: lookup, through: client, field: region}
      client_won: {type: lookup, through: client, field: won_total}
      partner_regions: {type: lookup, through: partners, field: region}
      partner_staff: {type: rollup, through: partners, field: employees, agg: sum}
      partner_count: {type: rollup, through: partners, agg: count}
      smallest_partner: {type: rollup, through: partners, field: employees, agg: min}
      largest_partner: {type: rollup, through: partners, field: employees, agg: max}
      partner_average: {type: rollup, through: partners, field: employees, agg: avg}
      partner_names: {type: rollup, through: partners, field: name, agg: join}
      lyon_partners: {type: rollup, through: partners, field: name, agg: join, where: "region == 'Lyon'"}
      share: {type: formula, expr: "IF(client.won_total, ROUND(amount / client.won_total * 100))"}
      partner_region_list: {type: formula, expr: "partners.region"}
"""

INVOICES = """
    name: Invoices
    record_name: Invoice
    lists: [Draft, Paid]
    fields:
      opportunity: {type: reference, project: opportunities, required: true}
      amount: {type: currency}
      client_name: {type: lookup, through: opportunity, field: client_name}
      client_region: {type: lookup, through: opportunity, field: client_region}
      deal_margin: {type: lookup, through: opportunity, field: margin}
      deal_stage: {type: lookup, through: opportunity, field: list}
      paid_share: {type: formula, expr: "ROUND(amount / opportunity.amount * 100)"}
      region_code: {type: formula, expr: "UPPER(opportunity.client.region)"}
"""

RECORDS = {
    "clients/acme.yaml": """
        name: Acme
        list: Clients
        email: contact@acme.example
        region: Paris
        employees: 120
    """,
    "clients/beta.yaml": """
        name: Beta Studio
        list: Clients
        email: hello@beta.example
        region: Lyon
        employees: 8
    """,
    "clients/gamma.yaml": """
        name: Гамма
        list: Prospects
        region: Marseille
        employees: 30
    """,
    "clients/delta.yaml": """
        name: Delta
        list: Prospects
    """,
    "opportunities/acme-website.yaml": """
        name: Acme — Website
        list: Won
        client: acme
        partners: [beta, gamma]
        amount: 12000
        cost: 7000
        close_date: 2025-10-15
    """,
    "opportunities/acme-seo.yaml": """
        name: Acme — SEO
        list: Proposal sent
        client: acme
        amount: 3000
        cost: 1000
        close_date: 2026-01-31
    """,
    "opportunities/acme-logo.yaml": """
        name: Acme — Logo
        list: Lost
        client: acme
        amount: 1500
    """,
    "opportunities/beta-app.yaml": """
        name: Beta — App
        list: Won
        client: beta
        partners: [delta, beta]
        amount: 40000
        cost: 25000
    """,
    "invoices/f-001.yaml": """
        name: F-001
        list: Paid
        opportunity: acme-website
        amount: 6000
    """,
    "invoices/f-002.yaml": """
        name: F-002
        list: Draft
        opportunity: beta-app
        amount: 10000
    """,
}

FILES = {
    "clients/_project.yaml": CLIENTS,
    "opportunities/_project.yaml": OPPORTUNITIES,
    "invoices/_project.yaml": INVOICES,
    **RECORDS,
}


@pytest.fixture
def crm(workspace: Workspace) -> Callable[..., Any]:
    """crm() → the checked workspace; crm(extra files) → with those files changed."""

    def load(extra: dict[str, str | None] | None = None, clean: bool = True) -> Any:
        result = check(workspace({**FILES, **(extra or {})}))
        if clean:
            assert result.problems == []
        return result

    return load


def computed(result: Any, project: str, record_id: str) -> dict[str, Any]:
    return result.workspace.projects[project].records[record_id].computed


def line_of(schema: str, field: str) -> int:
    """The line of `field:` in a schema as written to disk (dedented, first line 1)."""
    lines = textwrap.dedent(schema).lstrip("\n").splitlines()
    return next(n for n, text in enumerate(lines, 1) if text.strip().startswith(f"{field}:"))


def problems_at(result: Any, path: str) -> list[Problem]:
    return [p for p in result.problems if p.path == path]


# lookups


def test_lookup_through_a_reference(crm: Callable[..., Any]) -> None:
    result = crm()
    website = computed(result, "opportunities", "acme-website")
    assert website["client_name"] == "Acme"
    assert website["client_email"] == "contact@acme.example"
    assert website["client_region"] == "Paris"
    app = computed(result, "opportunities", "beta-app")
    assert (app["client_name"], app["client_email"]) == ("Beta Studio", "hello@beta.example")


def test_lookup_of_a_computed_field(crm: Callable[..., Any]) -> None:
    result = crm()
    # client_won reads the client's rollup, which itself reads this project's amounts
    assert computed(result, "opportunities", "acme-seo")["client_won"] == 12000
    assert computed(result, "opportunities", "beta-app")["client_won"] == 40000


def test_lookup_of_lookup_across_three_projects(crm: Callable[..., Any]) -> None:
    result = crm()
    first = computed(result, "invoices", "f-001")
    assert first["client_name"] == "Acme"  # invoice → opportunity.client_name → client.name
    assert first["client_region"] == "Paris"
    assert first["deal_margin"] == 41.7  # a formula of the opportunity
    assert first["deal_stage"] == "Won"  # a built-in field
    second = computed(result, "invoices", "f-002")
    assert (second["client_name"], second["client_region"]) == ("Beta Studio", "Lyon")


def test_lookup_chain_follows_edits_at_the_far_end(crm: Callable[..., Any]) -> None:
    moved = RECORDS["clients/acme.yaml"].replace("region: Paris", "region: Marseille")
    result = crm({"clients/acme.yaml": moved})
    assert computed(result, "invoices", "f-001")["client_region"] == "Marseille"
    assert computed(result, "invoices", "f-001")["region_code"] == "MARSEILLE"


def test_lookup_through_a_missing_reference_is_empty(crm: Callable[..., Any]) -> None:
    result = crm(
        {"invoices/f-003.yaml": "name: F-003\nlist: Draft\nopportunity: nope\n"}, clean=False
    )
    assert [(p.path, p.code) for p in result.problems] == [
        ("invoices/f-003.yaml", "dangling-reference")
    ]
    values = computed(result, "invoices", "f-003")
    assert values["client_name"] is None
    assert values["deal_margin"] is None
    assert values["region_code"] is None


def test_lookup_through_multiple_references_gives_a_list(crm: Callable[..., Any]) -> None:
    result = crm()
    assert computed(result, "opportunities", "acme-website")["partner_regions"] == [
        "Lyon",
        "Marseille",
    ]
    # Delta has no region: empty values are left out
    assert computed(result, "opportunities", "beta-app")["partner_regions"] == ["Lyon"]
    assert computed(result, "opportunities", "acme-seo")["partner_regions"] == []


def test_lookup_through_backlinks_gives_a_list(crm: Callable[..., Any]) -> None:
    result = crm()
    acme = computed(result, "clients", "acme")
    assert acme["deal_names"] == ["Acme — Logo", "Acme — SEO", "Acme — Website"]
    assert acme["deal_lists"] == ["Lost", "Proposal sent", "Won"]
    assert computed(result, "clients", "delta")["deal_names"] == []


# backlinks


def test_referenced_by_lists_the_records_pointing_here(crm: Callable[..., Any]) -> None:
    result = crm()
    assert computed(result, "clients", "acme")["opportunities"] == [
        "acme-logo",
        "acme-seo",
        "acme-website",
    ]
    assert computed(result, "clients", "beta")["opportunities"] == ["beta-app"]
    assert computed(result, "clients", "gamma")["opportunities"] == []


def test_referenced_by_a_multiple_reference(crm: Callable[..., Any]) -> None:
    result = crm()
    assert computed(result, "clients", "beta")["partnerships"] == ["acme-website", "beta-app"]
    assert computed(result, "clients", "gamma")["partnerships"] == ["acme-website"]
    assert computed(result, "clients", "acme")["partnerships"] == []


def test_backlinks_follow_a_new_record(crm: Callable[..., Any]) -> None:
    new = "name: Gamma — Branding\nlist: Lead\nclient: gamma\namount: 2500\n"
    result = crm({"opportunities/gamma-branding.yaml": new})
    gamma = computed(result, "clients", "gamma")
    assert gamma["opportunities"] == ["gamma-branding"]
    assert (gamma["deal_count"], gamma["pipeline"], gamma["won_total"]) == (1, 2500, 0)


# rollups


def test_rollups_over_backlinks(crm: Callable[..., Any]) -> None:
    acme = computed(crm(), "clients", "acme")
    assert acme["won_total"] == 12000  # where: outcome == 'won'
    assert acme["pipeline"] == 3000  # where: outcome == 'open'
    assert acme["deal_count"] == 3
    assert acme["smallest"] == 1500
    assert acme["largest"] == 12000
    assert acme["average"] == 5500
    assert acme["deal_list"] == "Acme — Logo, Acme — SEO, Acme — Website"
    assert acme["profit_total"] == 7000  # a formula; the lost deal's profit is empty
    assert acme["last_close"].isoformat() == "2026-01-31"
    assert acme["big_deals"] == 1


def test_rollups_over_no_records(crm: Callable[..., Any]) -> None:
    delta = computed(crm(), "clients", "delta")
    assert (delta["won_total"], delta["deal_count"], delta["big_deals"]) == (0, 0, 0)
    assert (delta["smallest"], delta["largest"], delta["average"]) == (None, None, None)
    assert delta["deal_list"] == ""


def test_rollups_over_multiple_references(crm: Callable[..., Any]) -> None:
    result = crm()
    website = computed(result, "opportunities", "acme-website")  # partners: beta (8), gamma (30)
    assert website["partner_staff"] == 38
    assert website["partner_count"] == 2
    assert website["smallest_partner"] == 8
    assert website["largest_partner"] == 30
    assert website["partner_average"] == 19
    assert website["partner_names"] == "Beta Studio, Гамма"
    assert website["lyon_partners"] == "Beta Studio"
    app = computed(result, "opportunities", "beta-app")  # partners: delta (no employees), beta
    assert (app["partner_staff"], app["partner_count"], app["partner_average"]) == (8, 2, 8)
    assert app["partner_names"] == "Delta, Beta Studio"  # in the order the record lists them


def test_rollup_where_reads_the_other_records_fields(crm: Callable[..., Any]) -> None:
    # moving the SEO deal to Won moves its amount from the pipeline to the won total
    won = RECORDS["opportunities/acme-seo.yaml"].replace("list: Proposal sent", "list: Won")
    acme = computed(crm({"opportunities/acme-seo.yaml": won}), "clients", "acme")
    assert (acme["won_total"], acme["pipeline"]) == (15000, 0)


# formulas


def test_formulas_run_in_dependency_order_not_declaration_order(crm: Callable[..., Any]) -> None:
    # margin is declared before profit, which it reads
    result = crm()
    website = computed(result, "opportunities", "acme-website")
    assert website["profit"] == 5000
    assert website["margin"] == 41.7
    assert computed(result, "opportunities", "acme-logo")["margin"] is None  # no cost: no profit


def test_formulas_use_lookups_and_dotted_paths(crm: Callable[..., Any]) -> None:
    result = crm()
    assert computed(result, "opportunities", "acme-website")["label"] == (
        "ACME — Acme — Website (Paris)"
    )
    assert computed(result, "opportunities", "beta-app")["label"] == (
        "BETA STUDIO — Beta — App (Lyon)"
    )
    assert computed(result, "invoices", "f-001")["paid_share"] == 50
    assert computed(result, "invoices", "f-002")["paid_share"] == 25
    assert computed(result, "invoices", "f-001")["region_code"] == "PARIS"  # two hops


def test_dotted_path_to_a_computed_field_of_another_project(crm: Callable[..., Any]) -> None:
    result = crm()
    # share = amount / client.won_total: a rollup on clients over this very project
    assert computed(result, "opportunities", "acme-seo")["share"] == 25
    assert computed(result, "opportunities", "beta-app")["share"] == 100


def test_dotted_path_through_a_multiple_reference_is_a_list(crm: Callable[..., Any]) -> None:
    result = crm()
    assert computed(result, "opportunities", "acme-website")["partner_region_list"] == [
        "Lyon",
        "Marseille",
    ]


def test_formula_over_a_rollup_of_a_formula_in_another_project(crm: Callable[..., Any]) -> None:
    result = crm()
    assert computed(result, "clients", "acme")["status"] == "client Paris"
    assert computed(result, "clients", "gamma")["status"] == "prospect"


# problems at the schema line


def with_fields(schema: str, *lines: str) -> str:
    """The schema with extra field definitions appended under `fields:`."""
    return schema.rstrip() + "\n" + "".join(f"      {line}\n" for line in lines)


def only_schema_problem(result: Any, path: str, code: str) -> Problem:
    matching = [p for p in result.problems if p.code == code]
    assert len(matching) == 1, result.problems
    assert matching[0].path == path
    return matching[0]


def test_cycle_is_reported_at_each_field_of_it(crm: Callable[..., Any]) -> None:
    schema = with_fields(
        OPPORTUNITIES,
        'a: {type: formula, expr: "b + 1"}',
        'b: {type: formula, expr: "c * 2"}',
        'c: {type: formula, expr: "a - amount"}',
    )
    result = crm({"opportunities/_project.yaml": schema}, clean=False)
    problems = result.problems
    assert [(p.path, p.code, p.line) for p in problems] == [
        ("opportunities/_project.yaml", "cycle", line_of(schema, "a")),
        ("opportunities/_project.yaml", "cycle", line_of(schema, "b")),
        ("opportunities/_project.yaml", "cycle", line_of(schema, "c")),
    ]
    assert line_of(schema, "a") == 32  # after 22 fields under `fields:` on line 9
    for problem in problems:
        assert "depend on each other in a cycle" in problem.message
        for name in ("opportunities.a", "opportunities.b", "opportunities.c"):
            assert name in problem.message
    # everything outside the cycle is still computed
    website = computed(result, "opportunities", "acme-website")
    assert website["profit"] == 5000
    assert "a" not in website


def test_cycle_across_projects(crm: Callable[..., Any]) -> None:
    clients = with_fields(
        CLIENTS, "score: {type: rollup, through: opportunities, field: client_score, agg: sum}"
    )
    opportunities = with_fields(
        OPPORTUNITIES, "client_score: {type: lookup, through: client, field: score}"
    )
    result = crm(
        {"clients/_project.yaml": clients, "opportunities/_project.yaml": opportunities},
        clean=False,
    )
    assert [(p.path, p.code, p.line) for p in result.problems] == [
        ("clients/_project.yaml", "cycle", line_of(clients, "score")),
        ("opportunities/_project.yaml", "cycle", line_of(opportunities, "client_score")),
    ]
    assert "clients.score" in result.problems[0].message
    assert "opportunities.client_score" in result.problems[0].message


def test_unknown_name_in_a_formula(crm: Callable[..., Any]) -> None:
    schema = with_fields(OPPORTUNITIES, 'double: {type: formula, expr: "amont * 2"}')
    result = crm({"opportunities/_project.yaml": schema}, clean=False)
    problem = only_schema_problem(result, "opportunities/_project.yaml", "unknown-name")
    assert problem.line == line_of(schema, "double")
    assert problem.column == 3
    assert problem.message == (
        "Opportunities field “double”: unknown field “amont” in Opportunities"
        " (did you mean “amount”?)"
    )
    assert result.problems == [problem]


def test_unknown_name_at_the_end_of_a_dotted_path(crm: Callable[..., Any]) -> None:
    schema = with_fields(OPPORTUNITIES, 'where_from: {type: formula, expr: "client.regoin"}')
    result = crm({"opportunities/_project.yaml": schema}, clean=False)
    problem = only_schema_problem(result, "opportunities/_project.yaml", "unknown-name")
    assert problem.line == line_of(schema, "where_from")
    assert "unknown field “regoin” in Clients (did you mean “region”?)" in problem.message


def test_unknown_name_in_a_rollup_where(crm: Callable[..., Any]) -> None:
    schema = with_fields(
        CLIENTS,
        "lost: {type: rollup, through: opportunities, agg: count, where: \"outcom == 'lost'\"}",
    )
    result = crm({"clients/_project.yaml": schema}, clean=False)
    problem = only_schema_problem(result, "clients/_project.yaml", "unknown-name")
    assert problem.line == line_of(schema, "lost")
    assert "unknown field “outcom” in Opportunities (did you mean “outcome”?)" in problem.message


def test_static_type_error(crm: Callable[..., Any]) -> None:
    schema = with_fields(OPPORTUNITIES, 'odd: {type: formula, expr: "amount - name"}')
    result = crm({"opportunities/_project.yaml": schema}, clean=False)
    problem = only_schema_problem(result, "opportunities/_project.yaml", "type-error")
    assert problem.line == line_of(schema, "odd")
    assert problem.message == (
        "Opportunities field “odd”: cannot subtract a number and text in “amount - name”"
    )
    assert result.problems == [problem]  # reported once, at the schema, not per record


def test_static_type_error_through_a_lookup(crm: Callable[..., Any]) -> None:
    schema = with_fields(OPPORTUNITIES, 'odd: {type: formula, expr: "YEAR(client_email)"}')
    result = crm({"opportunities/_project.yaml": schema}, clean=False)
    problem = only_schema_problem(result, "opportunities/_project.yaml", "type-error")
    assert problem.line == line_of(schema, "odd")
    assert "YEAR cannot take text" in problem.message


def test_runtime_division_by_zero_names_the_record(crm: Callable[..., Any]) -> None:
    schema = with_fields(OPPORTUNITIES, 'cost_ratio: {type: formula, expr: "cost / amount"}')
    free = "name: Acme — Free audit\nlist: Lead\nclient: acme\namount: 0\ncost: 300\n"
    result = crm(
        {"opportunities/_project.yaml": schema, "opportunities/acme-audit.yaml": free},
        clean=False,
    )
    problem = only_schema_problem(result, "opportunities/_project.yaml", "division-by-zero")
    assert problem.line == line_of(schema, "cost_ratio")
    assert problem.message == (
        "Opportunities field “cost_ratio”: division by zero for 1 record:"
        " “Acme — Free audit” (acme-audit)"
    )
    assert result.problems == [problem]
    assert computed(result, "opportunities", "acme-audit")["cost_ratio"] is None
    assert computed(result, "opportunities", "beta-app")["cost_ratio"] == 0.625


def test_runtime_errors_are_grouped_with_a_few_examples(crm: Callable[..., Any]) -> None:
    schema = with_fields(OPPORTUNITIES, 'per_euro: {type: formula, expr: "1 / (amount - amount)"}')
    result = crm({"opportunities/_project.yaml": schema}, clean=False)
    problem = only_schema_problem(result, "opportunities/_project.yaml", "division-by-zero")
    assert "for 4 records: " in problem.message
    assert problem.message.endswith(" and 1 more")


def test_lookup_through_a_field_that_is_not_a_reference(crm: Callable[..., Any]) -> None:
    schema = with_fields(OPPORTUNITIES, "oops: {type: lookup, through: amount, field: name}")
    result = crm({"opportunities/_project.yaml": schema}, clean=False)
    problem = only_schema_problem(result, "opportunities/_project.yaml", "bad-through")
    assert problem.line == line_of(schema, "oops")
    assert "“through: amount” must name a reference or referenced_by field" in problem.message
    assert "oops" not in computed(result, "opportunities", "acme-website")


def test_lookup_through_a_misspelt_reference(crm: Callable[..., Any]) -> None:
    schema = with_fields(OPPORTUNITIES, "oops: {type: lookup, through: cliend, field: name}")
    result = crm({"opportunities/_project.yaml": schema}, clean=False)
    problem = only_schema_problem(result, "opportunities/_project.yaml", "bad-through")
    assert "did you mean “client”?" in problem.message


def test_dotted_path_through_a_field_that_is_not_a_reference(crm: Callable[..., Any]) -> None:
    schema = with_fields(OPPORTUNITIES, 'oops: {type: formula, expr: "amount.currency"}')
    result = crm({"opportunities/_project.yaml": schema}, clean=False)
    problem = only_schema_problem(result, "opportunities/_project.yaml", "not-a-reference")
    assert problem.line == line_of(schema, "oops")
    assert "“amount” is not a reference, so “amount.currency” leads nowhere" in problem.message


def test_unknown_rollup_aggregate(crm: Callable[..., Any]) -> None:
    schema = with_fields(
        CLIENTS, "median: {type: rollup, through: opportunities, field: amount, agg: median}"
    )
    result = crm({"clients/_project.yaml": schema}, clean=False)
    problem = only_schema_problem(result, "clients/_project.yaml", "bad-aggregate")
    assert problem.line == line_of(schema, "median")
    assert "“agg: median” must be one of sum, count, min, max, avg, or join" in problem.message
    assert "median" not in computed(result, "clients", "acme")


def test_rollup_sum_of_text_is_a_type_error(crm: Callable[..., Any]) -> None:
    schema = with_fields(
        CLIENTS, "names_total: {type: rollup, through: opportunities, field: name, agg: sum}"
    )
    result = crm({"clients/_project.yaml": schema}, clean=False)
    problem = only_schema_problem(result, "clients/_project.yaml", "type-error")
    assert problem.line == line_of(schema, "names_total")
    assert "cannot sum “name”: it is not a number" in problem.message


def test_referenced_by_a_field_that_is_not_a_reference(crm: Callable[..., Any]) -> None:
    schema = with_fields(CLIENTS, "wrong: {type: referenced_by, from: opportunities.amount}")
    result = crm({"clients/_project.yaml": schema}, clean=False)
    problem = only_schema_problem(result, "clients/_project.yaml", "not-a-reference")
    assert problem.line == line_of(schema, "wrong")
    assert "must name a reference field of Opportunities" in problem.message


def test_hidden_closure_hides_what_is_computed_from_hidden_fields():
    """A junior who may not see cost must not read it back through profit or margin."""
    from crmcli.engine.workspace import open_workspace

    from .conftest import SAMPLE

    engine = open_workspace(SAMPLE).engine
    closure = engine.hidden_closure(frozenset({"opportunities.cost"}))
    assert {"opportunities.cost", "opportunities.profit", "opportunities.margin"} <= closure
    assert "opportunities.amount" not in closure
    assert "delivery.budget" not in closure  # a lookup of amount, not of cost
    assert engine.hidden_closure(frozenset()) == frozenset()


def test_show_as_junior_hides_derived_margin():
    from .conftest import SAMPLE, crm

    deal = next(p.stem for p in sorted((SAMPLE / "opportunities").glob("[!_]*.yaml")))
    as_manager = crm("-C", SAMPLE, "show", f"opportunities/{deal}", "--as", "alice", "-f", "json")
    as_junior = crm("-C", SAMPLE, "show", f"opportunities/{deal}", "--as", "karim", "-f", "json")
    manager_fields = json.loads(as_manager.stdout)["fields"]
    junior_fields = json.loads(as_junior.stdout)["fields"]
    assert "margin" in manager_fields
    assert not {"cost", "profit", "margin"} & set(junior_fields)
