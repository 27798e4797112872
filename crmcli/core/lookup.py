"""Finding a project or a record named on the command line, with “did you mean” for typos."""

from __future__ import annotations

from crmcli.core.lazy_records import is_safe_id
from crmcli.core.model import Project, Workspace
from crmcli.core.problems import did_you_mean
from crmcli.core.text_forms import nfc
from crmcli.errors import UsageError
from crmcli.i18n import _
from crmcli.i18n.lists import value_list


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
    """PROJECT/ID or PROJECT/NAME → (project, id) of an existing record; UsageError
    otherwise."""
    project_key, slash, record_id = reference.partition("/")
    if not slash or not record_id:
        raise UsageError(
            _("“{reference}” is not PROJECT/ID (e.g. opportunities/acme-website)").format(
                reference=reference
            )
        )
    project = require_project(workspace, project_key)
    if is_safe_id(record_id) and record_id in project.records:
        return project, record_id
    named = _named(project, record_id)
    if named is None:
        raise UsageError(
            _("no {record} “{id}” in {project}{hint}").format(
                record=project.record_name,
                id=record_id,
                project=project.name,
                hint=did_you_mean(record_id, project.records) if is_safe_id(record_id) else "",
            )
        )
    return project, named


def _named(project: Project, name: str) -> str | None:
    """The id of the one record with this exact name (`crm show clients/Ёлка`); several
    records of that name are refused with their ids, for the user to pick one."""
    wanted = nfc(name)
    ids = sorted(r.id for r in project.records.values() if r.name == wanted)
    if len(ids) > 1:
        raise UsageError(
            _("several {records} are named “{name}”: {ids}; give the id").format(
                records=project.name, name=name, ids=value_list(ids)
            )
        )
    return ids[0] if ids else None
