"""The freshness scan lists project folders by name and tells a folder named like a record
file by its stat: such a folder is no record (as for the loader), and an index saved with it
there is served at once by the next run."""

from __future__ import annotations

from pathlib import Path

from crmcli.index.freshness import scan
from crmcli.index.session import Index
from tests.conftest import crm_in_process, environment
from tests.generated_workspace import generate

ENV = {"CRM_USER": "alice", "CRM_NOW": "2026-11-23T10:00:00"}


def outputs(root: Path, *extra: str) -> list[tuple[int, str]]:
    runs = [
        crm_in_process("-C", root, "check", "--format", "json", *extra, env=ENV),
        crm_in_process("-C", root, "list", "opportunities", *extra, env=ENV),
    ]
    return [(run.returncode, run.stdout) for run in runs]


def test_a_folder_named_like_a_record_file_is_no_record(tmp_path: Path) -> None:
    root = generate(tmp_path / "ws", clients=5, deals=30)
    folder = root / "opportunities" / "not-a-deal.yaml"
    folder.mkdir()
    (folder / "inside.yaml").write_text("name: Hidden\n", encoding="utf-8")
    found = scan(root)
    assert "opportunities/not-a-deal.yaml" not in found.files
    assert sum(p.startswith("opportunities/") for p in found.files) == 30

    assert outputs(root) == outputs(root, "--no-cache")  # builds the index, then serves it
    with environment(ENV):
        index = Index.open(root)
        assert index is not None and index.everything_fresh  # the quick comparison held
        index.store.close()

    folder.rename(root / "opportunities" / "still-not.yaml")  # the folders are fingerprinted
    with environment(ENV):
        index = Index.open(root)
        assert index is not None and not index.same_configuration
        index.store.close()
    assert outputs(root) == outputs(root, "--no-cache")
