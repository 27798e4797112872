"""What a run of automations did, would do with --dry-run, or could not do: the report that
`crm remind`, `crm automate` and the edits after add/move/set print."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from crmcli.core.model import Record
from crmcli.errors import Problem

if TYPE_CHECKING:
    from crmcli.automations.rules import Rule

SENT, FAILED, SKIPPED, PLANNED, DONE = "sent", "failed", "skipped", "planned", "done"
UNDELIVERED = "undelivered"  # a notification nobody could be asked to receive


@dataclass(frozen=True, slots=True)
class Outcome:
    """One thing a run did, or would do with --dry-run, or could not do."""

    status: str
    rule: str
    record: str
    target: str
    detail: str = ""

    def to_dict(self) -> dict[str, str]:
        return {
            "status": self.status,
            "rule": self.rule,
            "record": self.record,
            "to": self.target,
            "detail": self.detail,
        }


@dataclass(slots=True)
class Report:
    outcomes: list[Outcome] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    left_out: list[Problem] = field(default_factory=list)  # records that cannot be read

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == FAILED]

    def add(self, status: str, rule: Rule, record: Record, target: str, detail: str) -> None:
        self.outcomes.append(Outcome(status, rule.name, record.ref, target, str(detail)))

    def add_for(self, status: str, entry: dict[str, str], detail: str) -> None:
        """An outcome about a state line (a pending notification) whose rule or record may
        be gone."""
        self.outcomes.append(Outcome(status, entry["rule"], entry["record"], entry["to"], detail))
