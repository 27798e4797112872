"""The result of an editing command: what it did in business words, the files it wrote or
removed (for git and the caller), and the events automations react to."""

from __future__ import annotations

from dataclasses import dataclass, field

from crmcli.core.model import RecordEvent


@dataclass(slots=True)
class Change:
    """What an editing command did, in business words, and which files it touched."""

    summary: str
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    record: str | None = None
    warnings: list[str] = field(default_factory=list)
    events: list[RecordEvent] = field(default_factory=list)  # for automations

    @property
    def paths(self) -> list[str]:
        return [*self.removed, *self.written]
