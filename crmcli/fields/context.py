"""What a field type needs to know beyond the value itself."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from crmcli.core.model import Member, Project, Workspace

if TYPE_CHECKING:
    from crmcli.fields.references import ReferenceIndex


@dataclass(frozen=True)
class FieldContext:
    """The workspace and project a value belongs to, built once per project and shared by
    every value: its locale and phone region, the members and projects that references name,
    the folder file paths live in. `today` reads “tomorrow”; `references` are the indexes an
    import builds once so that 100,000 references cost 100,000 look-ups."""

    workspace: Workspace
    project: Project
    today: date | None = None  # None: the computer's today
    references: Mapping[str, ReferenceIndex] | None = None  # by field key

    @property
    def locale(self) -> str:
        return self.workspace.config.locale

    @property
    def timezone(self) -> str:
        return self.workspace.config.timezone

    @property
    def phone_region(self) -> str | None:
        return self.workspace.config.phone_region

    @property
    def members(self) -> Mapping[str, Member]:
        return self.workspace.config.members

    @property
    def projects(self) -> Mapping[str, Project]:
        return self.workspace.projects

    @property
    def root(self) -> Path:
        return self.workspace.root

    @cached_property
    def real_root(self) -> Path:
        """The workspace folder with its symbolic links resolved, once for every file path."""
        return Path(os.path.realpath(self.root))

    @property
    def day(self) -> date:
        return self.today or date.today()
