"""What automations keep from one edit to the next in a process that lives on (the form
server), where `crm add` starts from nothing each time: the rules, compiled once per reading
of the workspace and per day (a condition may read TODAY); each member's open records for
least-loaded assignment, counted once and then kept in memory as assignments are made; and
the automations' state as the process last appended to it, read again only when the file is
not as it left it (a `crm remind` rewrote it), since it grows by a line per submission.

A new reading of the workspace (its configuration changed) gets a new `Standing`; a record
changed by hand drops its project's counts (`forget_loads`), counted again when next needed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from crmcli.automations.rules import Rule
from crmcli.automations.state import AutomationState
from crmcli.index.freshness import StatKey, stat_of


class Standing:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.loads: dict[str, dict[str, int]] = {}  # project → member → open records
        self._rules: tuple[date, list[Rule]] | None = None
        self._state: tuple[StatKey, AutomationState] | None = None

    def rules(self, day: date, compile_rules: Callable[[], list[Rule]]) -> list[Rule]:
        """The rules compiled for `day`, compiled again the first time another day asks."""
        if self._rules is None or self._rules[0] != day:
            self._rules = (day, compile_rules())
        return self._rules[1]

    def state(self, path: Path, load: Callable[[], AutomationState]) -> AutomationState:
        """The state as this process left it, or as `load` reads it when the file changed."""
        if self._state is not None and self._state[0] == stat_of(path):
            kept = self._state[1]
            kept.changed = False  # what this run changes, not what the last one did
            return kept
        return load()

    def keep(self, state: AutomationState) -> None:
        """Remember the state as the run left it, with its file's stat."""
        self._state = (stat_of(state.path), state)

    def forget_loads(self, project_key: str) -> None:
        self.loads.pop(project_key, None)
