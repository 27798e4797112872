"""Library entry points: what the CLI and other programs call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from crmcli.core.loader import Loader
from crmcli.core.lookup import require_project, require_record_id
from crmcli.core.model import Project, Record, Workspace
from crmcli.engine.compute import Engine, compute
from crmcli.engine.reader import workspace_now
from crmcli.fields.references import reference_ids

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

    def referring(self, project_key: str, record_id: str) -> list[tuple[str, str, str]]:
        """(project, id, field) of every record whose reference field names this record, by
        project, record and field (the index answers from its reverse references)."""
        found = []
        for other in self.workspace.projects.values():
            references = [
                f.key
                for f in other.fields.values()
                if f.type == "reference" and f.target_project == project_key
            ]
            if not references:
                continue
            for candidate in other.records.values():
                for key in references:
                    if record_id in reference_ids(candidate.data.get(key)):
                        found.append((other.key, candidate.id, key))
        return found


def open_workspace(root: Path, today: date | None = None, lazy: bool = False) -> OpenWorkspace:
    """lazy: records are read when asked for and computed by `engine.compute_record` (a
    command about one record reads that record and what its fields and backlinks need)."""
    loader = Loader(root)
    workspace = loader.load(lazy=lazy)
    day = today or workspace_now(workspace).date()
    engine = Engine(workspace, loader.log, day) if lazy else compute(workspace, loader.log, day)
    return OpenWorkspace(workspace, engine)
