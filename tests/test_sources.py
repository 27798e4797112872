"""Loading the workspace as it stood at a git revision, through the same loader."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from crmcli.check.workspace import check_workspace
from crmcli.core.loader import Loader
from crmcli.core.sources import DiskSource
from crmcli.errors import CrmError
from crmcli.git.sources import GitSource

from .conftest import SAMPLE
from .repos import git

DEAL = "opportunities/agence-pixel-nord-refonte-du-site.yaml"


@pytest.fixture(scope="module")
def repository(tmp_path_factory) -> Path:
    """The sample workspace in a subfolder of a repository, with two commits."""
    repo = tmp_path_factory.mktemp("repo")
    git(repo, "init", "-q")
    git(repo, "config", "user.email", "alice@atelier.example")
    git(repo, "config", "user.name", "Alice")
    shutil.copytree(SAMPLE, repo / "crm")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "sample")
    path = repo / "crm" / DEAL
    path.write_text(
        path.read_text(encoding="utf-8").replace("amount: 23000", "amount: 31000"), encoding="utf-8"
    )
    (repo / "crm/clients/nouveau-client.yaml").write_text(
        "name: Nouveau client\nlist: Prospects\n", encoding="utf-8"
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "bigger deal, new client")
    (repo / "crm" / DEAL).write_text("name: [broken\n", encoding="utf-8")  # uncommitted
    return repo / "crm"


def test_a_revision_loads_like_the_working_tree_did(repository):
    old = Loader(repository, GitSource(repository, "HEAD~1")).load()
    new = Loader(repository, GitSource(repository, "HEAD")).load()
    deal_id = Path(DEAL).stem
    assert old.projects["opportunities"].records[deal_id].data["amount"] == 23000
    assert new.projects["opportunities"].records[deal_id].data["amount"] == 31000
    assert "nouveau-client" not in old.projects["clients"].records
    assert "nouveau-client" in new.projects["clients"].records
    assert old.problems == [] and new.problems == []
    on_disk = Loader(repository, DiskSource(repository)).load()
    assert [p.code for p in on_disk.problems] == ["invalid-yaml"]  # the uncommitted breakage


def test_a_revision_of_the_sample_has_the_same_records_as_the_folder(repository):
    committed = Loader(repository, GitSource(repository, "HEAD~1")).load()
    sample = Loader(SAMPLE).load()
    for key, project in sample.projects.items():
        assert set(committed.projects[key].records) == set(project.records)
        for record_id, record in project.records.items():
            assert committed.projects[key].records[record_id].data == record.data


def test_lazy_loading_from_a_revision_reads_only_what_is_asked(repository):
    source = GitSource(repository, "HEAD")
    workspace = Loader(repository, source).load(lazy=True)
    clients = workspace.projects["clients"].records
    assert "nouveau-client" in clients and "no-such-client" not in clients
    assert clients["nouveau-client"].name == "Nouveau client"
    assert len(clients) == len(list(SAMPLE.glob("clients/[!_]*.yaml"))) + 1


def test_changed_files_between_revisions(repository):
    changes = GitSource(repository, "HEAD").changed_files("HEAD~1")
    assert sorted(changes) == [("A", "clients/nouveau-client.yaml", None), ("M", DEAL, None)]


def test_unknown_revision_is_a_clear_error(repository):
    with pytest.raises(CrmError, match="unknown revision “nope”"):
        GitSource(repository, "nope")


def test_check_of_the_working_tree_is_unaffected(repository):
    result = check_workspace(repository)
    assert [(p.path, p.code) for p in result.problems] == [(DEAL, "invalid-yaml")]
