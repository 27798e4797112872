"""Library entry points: what the CLI and other programs call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from crmcli.core.loader import Loader
from crmcli.core.lookup import require_project, require_record_id
from crmcli.core.model import Project, Record, Workspace
from crmcli.engine.compute import Engine, compute

__all__ = ["OpenWorkspace", "open_workspace"]


@dataclass(slots=True)
class OpenWorkspace:
    """A loaded workspace with every computed field filled in."""

    workspace: Workspace
    engine: Engine

    def project(self, key: str) -> Project:
        return require_project(self.workspace, key)

    def record(self, reference: str) -> tuple[Project, Record]:
        """PROJECT/ID → the record, with “did you mean” for typos."""
        project, record_id = require_record_id(self.workspace, reference)
        return project, project.records[record_id]


def open_workspace(root: Path, today: date | None = None, lazy: bool = False) -> OpenWorkspace:
    """lazy: records are read when asked for and computed by `engine.compute_record` (a
    command about one record reads that record and what its fields and backlinks need)."""
    loader = Loader(root)
    workspace = loader.load(lazy=lazy)
    engine = Engine(workspace, loader.log, today) if lazy else compute(workspace, loader.log, today)
    return OpenWorkspace(workspace, engine)
