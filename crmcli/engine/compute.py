"""References, backlinks, lookups, rollups and formulas: one per-record computation.

Each computed field has one plan (`plans.py`) that computes its value for one record. The
whole-workspace run applies every plan to every record in dependency order; a single record
(`crm diff`, the git textconv view, automations on a lazily loaded workspace) gets the same
values on demand, within the reach its caller allows (`Reach`).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any, Protocol

from crmcli.core.collector import collector_paused
from crmcli.core.model import FieldDef, Project, Record, Workspace
from crmcli.core.problems import ProblemLog
from crmcli.engine.plans import Failures, Plan, Planner, order
from crmcli.engine.scope import Reach, RecordScope
from crmcli.engine.types import FieldKey, FieldTypes
from crmcli.fields.references import reference_ids
from crmcli.formulas.compiler import Expression
from crmcli.formulas.values import FormulaError

Failed = list[tuple[str, str]]  # (code, message) of each value of one record that failed


class Recompute(Protocol):
    """Which records a run computes again (the index's dirty set); the others keep the values
    and failures of the run that computed them."""

    def needed(self, record: Record) -> bool: ...

    def failed(self, key: FieldKey, record: Record) -> Failed: ...


class Engine(FieldTypes):
    def __init__(
        self,
        workspace: Workspace,
        log: ProblemLog,
        today: date | None = None,
        reach: Reach = Reach.WHOLE_PROJECT,
    ) -> None:
        super().__init__(workspace)
        self.log = log
        self.today = today or date.today()
        self.reach = reach
        self._planner = Planner(self)
        self._plans: dict[FieldKey, Plan] = {}
        self._within_reach: dict[FieldKey, bool] = {}
        self._backlinks: dict[FieldKey, dict[str, list[str]]] = {}
        self.recompute: Recompute | None = None  # None: every record
        self.failures: dict[FieldKey, dict[str, Failed]] = {}  # by field, by record path

    def run(self) -> None:
        """Compute every computed field of every record (those `recompute` needs), in
        dependency order."""
        with collector_paused():  # a value or more for every record
            self._run()

    def _run(self) -> None:
        recompute = self.recompute
        for key in self.planned(self.log):
            plan = self._plans[key]
            if plan.value is None:
                continue
            failures = Failures(self.log, plan)
            name, value = plan.field.key, plan.value
            for record in plan.project.records.values():
                if recompute is None or recompute.needed(record):
                    record.computed[name] = value(record, failures.add)
                else:
                    for code, message in recompute.failed(key, record):
                        failures.note(code, message, record)
            self.failures[key] = failures.by_record()
            failures.report()

    def planned(self, log: ProblemLog) -> list[FieldKey]:
        """Plan every computed field, in dependency order; broken definitions and cycles are
        reported to `log` and compute nothing (the index plans this way for the values it
        serves, which were computed by an earlier `run`)."""
        self._plans = self._planner.plan_all(log)
        return order(log, self._plans)

    def compute_record(self, project: Project, record: Record) -> None:
        """Fill one record's computed fields, reading only what they need, within reach:
        under `Reach.NAMED_RECORDS`, backlinks and what reads them stay out of
        `record.computed`."""
        scope = RecordScope(self, project, record)
        for definition in project.computed_fields:
            scope.get(definition.key)

    def value_of(self, project: Project, record: Record, definition: FieldDef) -> Any:
        """A computed field of one record, computed now and kept in `record.computed`; None
        (and not kept) when the definition is broken or beyond reach."""
        plan = self._plan(project, definition)
        if plan.value is None or not self._reaches(plan):
            return None
        record.computed[definition.key] = None  # a cycle reads empty instead of recursing
        value = record.computed[definition.key] = plan.value(record, _ignore)
        return value

    def backlinks(self, source: Project, field_key: str) -> dict[str, list[str]]:
        """For each record id, the records of `source` whose reference `field_key` names
        it; read once per engine."""
        key = (source.key, field_key)
        index = self._backlinks.get(key)
        if index is None:
            index = self._backlinks[key] = defaultdict(list)
            for record in source.records.values():
                for target_id in reference_ids(record.data.get(field_key)):
                    index[target_id].append(record.id)
        return index

    def records_changed(self) -> None:
        """Records were written (automations' actions): backlinks are read again when next
        asked for."""
        self._backlinks.clear()

    def scope(self, project: Project, record: Record | None = None) -> RecordScope:
        return RecordScope(self, project, record)

    def evaluate(self, expression: Expression, project: Project, record: Record) -> Any:
        return expression(RecordScope(self, project, record))

    def follow_path(self, project: Project, record: Record, names: tuple[str, ...]) -> Any:
        """The value a dotted path such as client.region reads from a record; a list when a
        step may name several records."""
        records, many = [record], False
        for name in names[:-1]:
            target = self.target_of(project, name)
            if target is None:
                return None
            definition = project.fields[name]
            many = many or definition.type == "referenced_by" or definition.multiple
            scope = RecordScope(self, project)
            next_records = []
            for current in records:
                scope.record = current
                for target_id in reference_ids(scope.get(name)):
                    found = target.records.get(target_id)
                    if found is not None:
                        next_records.append(found)
            records, project = next_records, target
        scope = RecordScope(self, project)
        values = []
        for current in records:
            scope.record = current
            values.append(scope.get(names[-1]))
        if many:
            return [v for v in values if v is not None]
        return values[0] if values else None

    def _plan(self, project: Project, definition: FieldDef) -> Plan:
        key = (project.key, definition.key)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = self._planner.plan(project, definition)[0]
        return plan

    def _reaches(self, plan: Plan) -> bool:
        """Whether this field, and every computed field it reads, stays within reach."""
        if self.reach is Reach.WHOLE_PROJECT:
            return True
        key = (plan.project.key, plan.field.key)
        if key not in self._within_reach:
            self._within_reach[key] = False  # a cycle is beyond reach
            self._within_reach[key] = not plan.whole_project and all(
                self._reaches(self._plan(self.workspace.projects[p], self._field(p, f)))
                for p, f in plan.depends_on
            )
        return self._within_reach[key]

    def _field(self, project_key: str, field_key: str) -> FieldDef:
        return self.workspace.projects[project_key].fields[field_key]


def _ignore(error: FormulaError, record: Record) -> None:
    """On demand, a value that fails to compute reads empty; `crm check` reports it."""


def compute(workspace: Workspace, log: ProblemLog, today: date | None = None) -> Engine:
    """Compute every computed field of the workspace; problems go to `log`."""
    engine = Engine(workspace, log, today)
    engine.run()
    return engine
