"""The names that make a folder a workspace and a folder in it a project, and which folder a
command works in. Standard library only: `crm` asks this before importing anything else, to
start statting the record files while the rest of it loads (`index/early_walk.py`)."""

from __future__ import annotations

import os
from pathlib import Path

WORKSPACE_FILE = "crm.yaml"
PROJECT_FILE = "_project.yaml"
AUTOMATIONS_FILE = "automations.yaml"
DASHBOARDS_DIR = "dashboards"
WORKSPACE_VARIABLE = "CRM_WORKSPACE"


def chosen_folder(explicit: str | os.PathLike[str] | None) -> Path | None:
    """The folder named by -C PATH, else by $CRM_WORKSPACE (None: neither names one)."""
    chosen = explicit or os.environ.get(WORKSPACE_VARIABLE)
    return Path(chosen).expanduser().resolve() if chosen else None


def nearest_workspace(start: Path) -> Path | None:
    """The nearest folder upward from `start` that holds a crm.yaml."""
    here = start.resolve()
    for folder in (here, *here.parents):
        if (folder / WORKSPACE_FILE).is_file():
            return folder
    return None
