"""`crm import --on-duplicate warn|skip|update`: what a row that likely duplicates a record does.

Each row is compared with the project's records as they were before the import (not with
the other rows: the memory of an import stays bounded however long the file), asking the
index for those sharing one of its keys where it is fresh, as `crm add` does. A row whose
every value is already the value of the record it matches is that record: it is never
created twice, whatever the choice. Otherwise `warn` (the default) creates it and warns,
`skip` leaves it out, `update` writes its values into the record it matches best (its name
excepted: the record keeps its own).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crmcli.core.model import Member, Project, Workspace
from crmcli.duplicates.finder import Match
from crmcli.duplicates.prevention import NewRecords, duplicate_warning
from crmcli.i18n import _

ON_DUPLICATE = ("warn", "skip", "update")
CREATE, SKIP, UPDATE = "create", "skip", "update"


@dataclass(frozen=True, slots=True)
class Decision:
    kind: str  # CREATE, SKIP or UPDATE
    match: Match | None = None
    likely: tuple[str, ...] = ()  # the ids of every record the row likely is, best first

    @property
    def record_id(self) -> str:
        assert self.match is not None
        return self.match.records[1].partition("/")[2]


class RowDuplicates:
    def __init__(
        self,
        root: Path,
        workspace: Workspace,
        project: Project,
        member: Member | None,
        on_duplicate: str,
    ) -> None:
        self.workspace = workspace
        self.project = project
        self.on_duplicate = on_duplicate
        self.new_records = NewRecords(root, project, member, lambda: workspace, workspace)

    def decide(self, values: Mapping[str, Any]) -> Decision:
        matches = self.new_records.matches(dict(values))
        if not matches:
            return Decision(CREATE)
        kind = {"warn": CREATE, "skip": SKIP, "update": UPDATE}[self.on_duplicate]
        return Decision(kind, matches[0], tuple(m.records[1].partition("/")[2] for m in matches))

    def close(self) -> None:
        self.new_records.close()

    def warning(self, decision: Decision, new: str | None) -> str:
        """What the row does (`new`: the record it creates) and which record it likely is."""
        assert decision.match is not None
        warning = duplicate_warning(decision.match, new or _("it"), self.workspace)
        return _("skipped: {warning}").format(warning=warning) if decision.kind == SKIP else warning
