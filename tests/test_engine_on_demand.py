"""One per-record computation: a record computed on demand gets exactly what the
whole-workspace run gives it, for every computed field type, on the sample workspace and on a
generated one; `Reach.NAMED_RECORDS` only leaves out what needs a whole project."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from crmcli.core.loader import Loader
from crmcli.core.model import Record, Workspace
from crmcli.core.sources import DiskSource
from crmcli.engine.compute import Engine, compute
from crmcli.engine.scope import Reach

from .conftest import REPO, SAMPLE, TODAY

COMPUTED_TYPES = {"formula", "lookup", "rollup", "referenced_by"}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small workspace from the benchmark generator (schemas of the sample, new records)."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import make_big_workspace
        from crmgen import write
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    root = tmp_path_factory.mktemp("generated")
    projects, files = make_big_workspace.build(seed=7, n_clients=40, n_deals=160)
    write(root, make_big_workspace.static_files(), projects, files, verify=False)
    return root


def whole(root: Path) -> Workspace:
    loader = Loader(root)
    workspace = loader.load()
    compute(workspace, loader.log, TODAY)
    return workspace


def on_demand(root: Path, reach: Reach) -> tuple[Workspace, Engine]:
    loader = Loader(root)
    workspace = loader.load(lazy=True)
    return workspace, Engine(workspace, loader.log, TODAY, reach)


def compare(root: Path, reach: Reach) -> dict[str, int]:
    """How many values of each computed field type agreed; fails at the first that does not."""
    expected = whole(root)
    workspace, engine = on_demand(root, reach)
    compared = dict.fromkeys(COMPUTED_TYPES, 0)
    for key, project in expected.projects.items():
        lazy_project = workspace.projects[key]
        for record_id, full in project.records.items():
            record = lazy_project.records[record_id]
            engine.compute_record(lazy_project, record)
            for name, value in record.computed.items():
                assert value == full.computed[name], (key, record_id, name)
                compared[project.fields[name].type] += 1
            if reach is Reach.WHOLE_PROJECT:
                assert record.computed.keys() == full.computed.keys(), (key, record_id)
    return compared


@pytest.mark.parametrize("name", ["sample", "generated"])
def test_on_demand_equals_the_whole_workspace_run_for_every_computed_type(name, generated):
    root = SAMPLE if name == "sample" else generated
    compared = compare(root, Reach.WHOLE_PROJECT)
    assert all(count > 0 for count in compared.values()), compared


@pytest.mark.parametrize("name", ["sample", "generated"])
def test_named_records_compute_what_they_can_and_agree_on_it(name, generated):
    root = SAMPLE if name == "sample" else generated
    compared = compare(root, Reach.NAMED_RECORDS)
    assert compared["referenced_by"] == 0  # backlinks need every deal
    assert compared["formula"] > 0 and compared["lookup"] > 0, compared


class ReadLog(DiskSource):
    """The working tree, noting which record files were read."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.read: list[str] = []

    def read_bytes(self, relative: str, max_bytes: int) -> bytes:
        self.read.append(relative)
        return super().read_bytes(relative, max_bytes)


def test_a_chain_of_lookups_reads_only_the_records_it_names():
    source = ReadLog(SAMPLE)
    loader = Loader(SAMPLE, source)
    workspace = loader.load(lazy=True)
    engine = Engine(workspace, loader.log, TODAY, Reach.NAMED_RECORDS)
    source.read.clear()  # the configuration files
    delivery = workspace.projects["delivery"]
    record_id = sorted(p.stem for p in (SAMPLE / "delivery").glob("*.yaml") if p.stem[0] != "_")[0]
    record = delivery.records[record_id]
    engine.compute_record(delivery, record)
    deal = workspace.projects["opportunities"].records[record.data["opportunity"]]
    client = workspace.projects["clients"].records[deal.data["client"]]
    assert record.computed["client_email"] == client.data.get("email")
    assert sorted(source.read) == sorted(
        [f"delivery/{record_id}.yaml", f"opportunities/{deal.id}.yaml", f"clients/{client.id}.yaml"]
    )


def test_backlinks_are_read_again_once_records_changed(workspace):
    root = workspace()
    loader = Loader(root)
    model = loader.load(lazy=True)
    engine = Engine(model, loader.log, TODAY)
    deals = model.projects["opportunities"]
    assert engine.backlinks(deals, "client")["acme"] == ["acme-website"]
    deals.records["acme-seo"] = Record(
        "opportunities",
        "acme-seo",
        "opportunities/acme-seo.yaml",
        {"name": "SEO", "client": "acme"},
    )
    assert engine.backlinks(deals, "client")["acme"] == ["acme-website"]  # read once
    engine.records_changed()
    assert sorted(engine.backlinks(deals, "client")["acme"]) == ["acme-seo", "acme-website"]
