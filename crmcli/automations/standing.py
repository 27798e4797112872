"""What automations keep from one edit to the next in a process that lives on (the form
server), where `crm add` starts from nothing each time: the rules, compiled once per reading
of the workspace and per day (a condition may read TODAY), and each member's open records for
least-loaded assignment, counted once and then kept in memory as assignments are made.

A new reading of the workspace (its configuration changed) gets a new `Standing`; a record
changed by hand drops its project's counts (`forget_loads`), counted again when next needed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from crmcli.automations.rules import Rule


class Standing:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.loads: dict[str, dict[str, int]] = {}  # project → member → open records
        self._rules: tuple[date, list[Rule]] | None = None

    def rules(self, day: date, compile_rules: Callable[[], list[Rule]]) -> list[Rule]:
        """The rules compiled for `day`, compiled again the first time another day asks."""
        if self._rules is None or self._rules[0] != day:
            self._rules = (day, compile_rules())
        return self._rules[1]

    def forget_loads(self, project_key: str) -> None:
        self.loads.pop(project_key, None)
