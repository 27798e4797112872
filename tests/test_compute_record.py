"""Engine.compute_record: one record's formulas and lookups, without computing whole projects."""

from __future__ import annotations

from crmcli.core.loader import Loader
from crmcli.engine.compute import Engine, compute
from crmcli.engine.scope import Reach

from .conftest import SAMPLE, TODAY

DELIVERY = {
    "delivery/_project.yaml": """
        name: Delivery
        record_name: Project
        lists: [Kickoff]
        fields:
          opportunity: {type: reference, project: opportunities}
          budget: {type: lookup, through: opportunity, field: amount}
          client_email: {type: lookup, through: opportunity, field: client_email}
          margin: {type: formula, expr: "opportunity.profit / budget"}
          region: {type: formula, expr: "opportunity.client.region"}
    """,
    "delivery/site.yaml": """
        name: Acme site build
        list: Kickoff
        opportunity: acme-website
    """,
}


def lazy(root):
    loader = Loader(root)
    workspace = loader.load(lazy=True)
    return workspace, Engine(workspace, loader.log, TODAY, Reach.NAMED_RECORDS)


def test_lookups_and_formulas_follow_references_across_projects(workspace):
    workspace_model, engine = lazy(workspace(DELIVERY))
    delivery = workspace_model.projects["delivery"]
    record = delivery.records["site"]
    engine.compute_record(delivery, record)
    assert record.computed == {
        "budget": 12000,
        "client_email": "contact@acme.example",  # a lookup of a lookup, two projects away
        "margin": 5000 / 12000,  # a formula reading another record's formula
        "region": "Paris",
    }
    # only what was needed was read: the referenced deal, its client, nothing else
    opportunities = workspace_model.projects["opportunities"].records
    assert set(opportunities._cache) == {"acme-website"}  # type: ignore[attr-defined]


def test_rollups_backlinks_and_what_reads_them_are_left_out(workspace):
    root = workspace(
        {
            "clients/_project.yaml": """
                name: Clients
                record_name: Company
                lists: [Clients]
                fields:
                  email: {type: email}
                  region: {type: select, options: [Paris, Lyon]}
                  opportunities: {type: referenced_by, from: opportunities.client}
                  won_total: {type: rollup, through: opportunities, field: amount, agg: sum}
                  doubled: {type: formula, expr: "won_total * 2"}
                  shout: {type: formula, expr: "UPPER(name)"}
            """
        }
    )
    workspace_model, engine = lazy(root)
    clients = workspace_model.projects["clients"]
    record = clients.records["acme"]
    engine.compute_record(clients, record)
    assert record.computed == {"shout": "ACME"}


def test_a_cycle_or_a_broken_formula_gives_empty_values(workspace):
    root = workspace(
        {
            "clients/_project.yaml": """
                name: Clients
                record_name: Company
                lists: [Clients]
                fields:
                  email: {type: email}
                  region: {type: select, options: [Paris, Lyon]}
                  a: {type: formula, expr: "b + 1"}
                  b: {type: formula, expr: "a + 1"}
                  ratio: {type: formula, expr: "1 / 0"}
            """
        }
    )
    workspace_model, engine = lazy(root)
    clients = workspace_model.projects["clients"]
    record = clients.records["acme"]
    engine.compute_record(clients, record)
    assert record.computed == {"ratio": None}


def test_it_agrees_with_the_whole_workspace_computation_on_the_sample():
    full_loader = Loader(SAMPLE)
    full = full_loader.load()
    compute(full, full_loader.log, TODAY)
    workspace_model, engine = lazy(SAMPLE)
    compared = 0
    for key, project in full.projects.items():
        for record_id, expected in project.records.items():
            record = workspace_model.projects[key].records[record_id]
            engine.compute_record(workspace_model.projects[key], record)
            for name, value in record.computed.items():
                assert value == expected.computed[name], (key, record_id, name)
                compared += 1
    assert compared > 500
