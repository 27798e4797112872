"""Library entry points: what the CLI and other programs call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .checks import CheckResult, check_workspace
from .engine import Engine, compute
from .errors import UsageError
from .i18n import _
from .loader import Loader
from .model import Project, Record, Workspace
from .problems import did_you_mean

__all__ = ["CheckResult", "OpenWorkspace", "check_workspace", "open_workspace"]


@dataclass(slots=True)
class OpenWorkspace:
    """A loaded workspace with every computed field filled in."""

    workspace: Workspace
    engine: Engine

    def project(self, key: str) -> Project:
        project = self.workspace.projects.get(key)
        if project is None:
            raise UsageError(
                _("no project “{project}” in this workspace{hint}").format(
                    project=key, hint=did_you_mean(key, self.workspace.projects)
                )
            )
        return project

    def record(self, reference: str) -> tuple[Project, Record]:
        """PROJECT/ID → the record, with “did you mean” for typos."""
        project_key, slash, record_id = reference.partition("/")
        if not slash or not record_id:
            raise UsageError(
                _("“{reference}” is not PROJECT/ID (e.g. opportunities/acme-website)").format(
                    reference=reference
                )
            )
        project = self.project(project_key)
        record = project.records.get(record_id)
        if record is None:
            raise UsageError(
                _("no {record} “{id}” in {project}{hint}").format(
                    record=project.record_name,
                    id=record_id,
                    project=project.name,
                    hint=did_you_mean(record_id, project.records),
                )
            )
        return project, record


def open_workspace(root: Path, today: date | None = None) -> OpenWorkspace:
    loader = Loader(root)
    workspace = loader.load()
    engine = compute(workspace, loader.log, today)
    return OpenWorkspace(workspace, engine)
