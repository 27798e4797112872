"""The index as a source, lazy lookups in a revision, and the working tree's changes."""

from __future__ import annotations

from crmcli.core.loader import Loader
from crmcli.core.yamlio import MAX_RECORD_BYTES
from crmcli.git.sources import GitSource, IndexSource, working_tree_changes

from .repos import DEAL, Repo


def test_the_index_holds_what_is_staged_not_what_is_on_disk(workspace):
    root = workspace()
    repo = Repo(root, root)
    repo.commit("workspace")
    repo.replace(DEAL, "amount: 12000", "amount: 13000")
    repo.git("add", DEAL)
    repo.replace(DEAL, "amount: 13000", "amount: 14000")
    repo.write("opportunities/new.yaml", "name: New\nlist: Lead\nclient: acme\n")
    repo.git("add", "opportunities/new.yaml")
    source = IndexSource(root)
    staged = Loader(root, source).load(lazy=True).projects["opportunities"].records
    assert staged["acme-website"].data["amount"] == 13000
    assert "new" in staged
    assert sorted(source.changed_files("HEAD")) == [
        ("A", "opportunities/new.yaml", None),
        ("M", DEAL, None),
    ]


def test_a_revision_is_read_lazily_and_in_batches(workspace):
    root = workspace()
    repo = Repo(root, root)
    repo.commit("workspace")
    source = GitSource(root, "HEAD")
    source.prefetch([DEAL, "clients/acme.yaml", "clients/nobody.yaml"], MAX_RECORD_BYTES)
    assert source.is_file(DEAL) and not source.is_file("clients/nobody.yaml")
    assert source._folders == {}  # nothing listed: the prefetch answered
    assert b"Acme" in source.read_bytes("clients/acme.yaml", MAX_RECORD_BYTES)
    for number in range(GitSource.LOOKUPS_BEFORE_LISTING + 1):
        source.is_file(f"opportunities/missing-{number}.yaml")
    assert "opportunities" in source._folders  # asked often enough: listed once
    assert {e.name for e in source.list_dir("opportunities")} == {
        "_project.yaml",
        "acme-website.yaml",
    }


def test_the_working_tree_changes_include_files_git_does_not_track_yet(workspace):
    root = workspace()
    repo = Repo(root, root)
    repo.commit("workspace")
    repo.replace(DEAL, "amount: 12000", "amount: 13000")
    repo.write("clients/new.yaml", "name: New\nlist: Clients\n")
    (root / "clients/acme.yaml").unlink()
    assert sorted(working_tree_changes(root, "HEAD")) == [
        ("A", "clients/new.yaml", None),
        ("D", "clients/acme.yaml", None),
        ("M", DEAL, None),
    ]
