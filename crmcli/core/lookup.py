"""Finding a project or a record named on the command line, with “did you mean” for typos."""

from __future__ import annotations

from crmcli.core.loader import is_safe_id
from crmcli.core.model import Project, Workspace
from crmcli.core.problems import did_you_mean
from crmcli.errors import UsageError
from crmcli.i18n import _


def require_project(workspace: Workspace, key: str) -> Project:
    project = workspace.projects.get(key)
    if project is None:
        raise UsageError(
            _("no project “{project}” in this workspace{hint}").format(
                project=key, hint=did_you_mean(key, workspace.projects)
            )
        )
    return project


def require_record_id(workspace: Workspace, reference: str) -> tuple[Project, str]:
    """PROJECT/ID → (project, id) of an existing record; UsageError otherwise."""
    project_key, slash, record_id = reference.partition("/")
    if not slash or not record_id:
        raise UsageError(
            _("“{reference}” is not PROJECT/ID (e.g. opportunities/acme-website)").format(
                reference=reference
            )
        )
    project = require_project(workspace, project_key)
    if not is_safe_id(record_id) or record_id not in project.records:
        raise UsageError(
            _("no {record} “{id}” in {project}{hint}").format(
                record=project.record_name,
                id=record_id,
                project=project.name,
                hint=did_you_mean(record_id, project.records) if is_safe_id(record_id) else "",
            )
        )
    return project, record_id
