"""Who an `assign` action gives a record to: the first route whose condition holds narrows the
pool, criteria (`by:`) match member attributes, away members are left out; then round robin
(weighted turns, the position kept in the automations' state) or least loaded (open records
per member, from `workload`)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from crmcli.automations import workload
from crmcli.automations.actions import Assign, member_attribute
from crmcli.automations.conditions import CONDITION, RuleScope, evaluate
from crmcli.automations.outcomes import SKIPPED, Report
from crmcli.automations.rules import Rule
from crmcli.automations.state import AutomationState
from crmcli.core.model import Project, Record, Workspace
from crmcli.i18n import _


class Assigner:
    """Chooses members for one run; least-loaded counts grow with each choice it makes."""

    def __init__(
        self,
        root: Path,
        workspace: Workspace,
        state: AutomationState,
        now: datetime,
        dry_run: bool,
        report: Report,
        loads: dict[str, dict[str, int]] | None = None,
    ) -> None:
        self.root = root
        self.workspace = workspace
        self.state = state
        self.now = now
        self.dry_run = dry_run
        self.report = report
        # project → member → open records: counted once, then grown by each choice
        self.loads: dict[str, dict[str, int]] = {} if loads is None else loads

    def choose(self, rule: Rule, action: Assign, scope: RuleScope, record: Record) -> str | None:
        if record.data.get("assignee") and not action.overwrite:
            return None
        members = scope.engine.workspace.config.members
        weights = dict(action.weights)
        for route in action.routes:
            if evaluate(route.when, scope, self.report, rule, CONDITION):
                weights = {m: action.weights.get(m, 1) for m in route.members}
                break
        candidates = [
            m for m, w in weights.items() if w > 0 and m in members and not members[m].away
        ]
        for attribute, expression in action.criteria:
            value = evaluate(expression, scope, self.report, rule, _("assign"))
            matching = [
                m for m in candidates if _matches(member_attribute(members[m], attribute), value)
            ]
            candidates = matching or candidates  # no one covers it: anyone of the pool
        if not candidates:
            self.report.add(SKIPPED, rule, record, _("assign"), _("no available member to assign"))
            return None
        if action.strategy == "least_loaded":
            return self._least_loaded(scope.project, weights, candidates)
        return self._round_robin(rule, weights, candidates)

    def _round_robin(self, rule: Rule, weights: dict[str, int], candidates: list[str]) -> str:
        turns = weighted_turns(weights)
        known = self.state.get(kind="round_robin", rule=rule.name)
        position = known["position"] if known else 0
        for step in range(len(turns)):
            member = turns[(position + step) % len(turns)]
            if member in candidates:
                entry = {
                    "kind": "round_robin",
                    "rule": rule.name,
                    "position": (position + step + 1) % len(turns),
                    "at": self.now.isoformat(),
                }
                self.state.remember(entry, persist=not self.dry_run)
                return member
        return candidates[0]

    def _least_loaded(
        self, project: Project, weights: dict[str, int], candidates: list[str]
    ) -> str:
        loads = self.loads.get(project.key)
        if loads is None:
            loads = self.loads[project.key] = workload.open_records_by_member(
                self.root, self.workspace.projects[project.key]
            )
        chosen = min(candidates, key=lambda m: (loads.get(m, 0) / weights[m], candidates.index(m)))
        loads[chosen] = loads.get(chosen, 0) + 1
        return chosen


def _matches(member_value: Any, record_value: Any) -> bool:
    if record_value is None or member_value is None:
        return False
    wanted = record_value if isinstance(record_value, list) else [record_value]
    have = member_value if isinstance(member_value, list) else [member_value]
    return any(str(a).casefold() == str(b).casefold() for a in have for b in wanted)


def weighted_turns(weights: dict[str, int] | Any) -> list[str]:
    """Members in turn, each as often as its weight, spread out (smooth weighted
    round-robin): {alice: 2, bruno: 1} → alice, bruno, alice."""
    active = {m: w for m, w in weights.items() if w > 0}
    total = sum(active.values())
    current = dict.fromkeys(active, 0)
    turns = []
    for _turn in range(total):
        for member, weight in active.items():
            current[member] += weight
        chosen = max(current, key=lambda m: current[m])
        current[chosen] -= total
        turns.append(chosen)
    return turns
