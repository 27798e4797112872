"""`crm init`: a ready workspace from a template (the agency sales CRM)."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

from crmcli.core.loader import (
    AUTOMATIONS_FILE,
    DASHBOARDS_DIR,
    PROJECT_FILE,
    WORKSPACE_FILE,
)
from crmcli.core.state_dir import STATE_DIR
from crmcli.errors import CrmError, UsageError
from crmcli.i18n import _

TEMPLATES = {"sales": "templates/sales"}
GITIGNORE_LINE = f"{STATE_DIR}/"


def init_workspace(
    target: Path, template: str = "sales", with_examples: bool = False
) -> list[Path]:
    """Create a workspace in `target`; return the files written."""
    if template not in TEMPLATES:
        raise UsageError(
            _("unknown template “{name}”; available: {names}").format(
                name=template, names=", ".join(TEMPLATES)
            )
        )
    if (target / WORKSPACE_FILE).exists():
        raise CrmError(_("{path} is already a crm workspace").format(path=target))
    source = Path(str(resources.files("crmcli").joinpath(TEMPLATES[template])))
    target.mkdir(parents=True, exist_ok=True)
    written = [_copy(source / WORKSPACE_FILE, target / WORKSPACE_FILE)]
    if (source / AUTOMATIONS_FILE).is_file():
        written.append(_copy(source / AUTOMATIONS_FILE, target / AUTOMATIONS_FILE))
    for dashboard in sorted((source / DASHBOARDS_DIR).glob("*.yaml")):
        written.append(_copy(dashboard, target / DASHBOARDS_DIR / dashboard.name))
    for schema in sorted(source.glob(f"*/{PROJECT_FILE}")):
        project = schema.parent
        written.append(_copy(schema, target / project.name / PROJECT_FILE))
        if with_examples:
            written.extend(
                _copy(r, target / project.name / r.name) for r in sorted(project.glob("[!_]*.yaml"))
            )
    if with_examples and (source / "files").is_dir():
        shutil.copytree(source / "files", target / "files", dirs_exist_ok=True)
    written.append(_ensure_gitignore(target))
    return written


def _copy(source: Path, destination: Path) -> Path:
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, destination)
    return destination


def _ensure_gitignore(target: Path) -> Path:
    path = target / ".gitignore"
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    if GITIGNORE_LINE not in lines:
        lines.append(GITIGNORE_LINE)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
