"""How each computed field is computed for one record, checked once against the schemas.

A `Plan` holds a field's per-record computation (`value`), the computed fields it reads and
whether it needs a whole project (backlinks). The planner checks definitions (problems at the
schema line), and `graphlib` orders the plans and finds cycles for the whole-workspace run.
The same `value` serves that run and a single record computed on demand.
"""

from __future__ import annotations

import dataclasses
import graphlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from crmcli.core.model import FieldDef, Project, Record
from crmcli.core.problems import ProblemLog, did_you_mean
from crmcli.engine.aggregates import AGGREGATES, AGGREGATORS
from crmcli.engine.scope import Scopes
from crmcli.engine.types import UNREADABLE, ExpressionError, FieldKey
from crmcli.fields.references import reference_ids
from crmcli.formulas.compiler import Expression
from crmcli.formulas.values import ANY, NUMBER, FormulaError
from crmcli.i18n import _, counted, ngettext, quoted
from crmcli.i18n.lists import or_list, value_list

if TYPE_CHECKING:
    from crmcli.engine.compute import Engine

_MAX_EXAMPLES = 3
Report = Callable[[FormulaError, Record], None]  # a runtime error of one record's value
Value = Callable[[Record, Report], Any]


@dataclasses.dataclass(slots=True)
class Plan:
    project: Project
    field: FieldDef
    depends_on: set[FieldKey] = dataclasses.field(default_factory=set)  # `field` is a column
    value: Value | None = None  # None when the definition is broken
    whole_project: bool = False  # reads every record of a project (backlinks)


class Planner:
    """Turns field definitions into plans; ExpressionError for a broken definition."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.workspace = engine.workspace

    def plan(self, project: Project, definition: FieldDef) -> tuple[Plan, ExpressionError | None]:
        plan = Plan(project, definition)
        if definition.broken:  # its wrongly typed setting was reported when loaded
            return plan, None
        try:
            getattr(self, "_plan_" + definition.type)(plan)
        except ExpressionError as error:
            plan.value = None
            return plan, error
        return plan, None

    def plan_all(self, log: ProblemLog) -> dict[FieldKey, Plan]:
        """Every computed field of the workspace; broken definitions are reported to `log`."""
        plans: dict[FieldKey, Plan] = {}
        for project in self.workspace.projects.values():
            for definition in project.computed_fields:
                plan, error = self.plan(project, definition)
                if error is not None and error.code != UNREADABLE:  # that schema reports itself
                    schema_problem(log, plan, error.code, error.message)
                plans[(project.key, definition.key)] = plan
        return plans

    def _depend_on_path(self, plan: Plan, project: Project, path: tuple[str, ...]) -> None:
        for project_key, name in self.engine.resolve_path(project, path):
            definition = self.workspace.projects[project_key].fields.get(name)
            if definition is not None and definition.computed:
                plan.depends_on.add((project_key, name))

    def _plan_referenced_by(self, plan: Plan) -> None:
        source_key, source_field = plan.field.backlink
        source = self.workspace.projects.get(source_key)
        if source_key in self.workspace.unreadable_projects:
            raise ExpressionError(UNREADABLE, source_key)
        if source is None:
            raise ExpressionError(
                "unknown-project",
                _("“from” names the project “{name}”, which does not exist{hint}").format(
                    name=source_key, hint=did_you_mean(source_key, self.workspace.projects)
                ),
            )
        definition = source.fields.get(source_field)
        if definition is None or definition.type != "reference":
            raise ExpressionError(
                "not-a-reference",
                _("“from: {source}.{field}” must name a reference field of {project}{hint}").format(
                    source=source_key,
                    field=source_field,
                    project=source.name,
                    hint=did_you_mean(
                        source_field,
                        [f.key for f in source.fields.values() if f.type == "reference"],
                    ),
                ),
            )
        if definition.target_project != plan.project.key:
            raise ExpressionError(
                "wrong-project",
                _("{source}.{field} refers to {other}, not to {project}").format(
                    source=source_key,
                    field=source_field,
                    other=definition.target_project,
                    project=plan.project.key,
                ),
            )
        engine = self.engine

        def value(record: Record, report: Report) -> list[str]:
            return list(engine.backlinks(source, source_field).get(record.id, ()))

        plan.value = value
        plan.whole_project = True

    def _through(self, plan: Plan) -> tuple[FieldDef, Project]:
        through = plan.field.through or ""
        definition = plan.project.fields.get(through)
        target = self.engine.target_of(plan.project, through)
        self.engine.refuse_unreadable(plan.project, through)
        if definition is None or target is None:
            candidates = [
                f.key
                for f in plan.project.fields.values()
                if f.type in ("reference", "referenced_by")
            ]
            raise ExpressionError(
                "bad-through",
                _(
                    "“through: {through}” must name a reference or referenced_by field of {project}{hint}"
                ).format(
                    through=through,
                    project=plan.project.name,
                    hint=did_you_mean(through, candidates),
                ),
            )
        if definition.computed:
            plan.depends_on.add((plan.project.key, through))
        plan.whole_project = definition.type == "referenced_by"
        return definition, target

    def _target_field(self, plan: Plan, target: Project, required: bool = True) -> str | None:
        name = plan.field.source_field
        if name is None and not required:
            return None
        name = str(name)
        self._depend_on_path(plan, target, (name,))
        return name

    def _plan_lookup(self, plan: Plan) -> None:
        through, target = self._through(plan)
        name = str(self._target_field(plan, target))
        many = through.type == "referenced_by" or through.multiple
        linked = _linked_records(self.engine, plan.project, through, target)
        scopes = Scopes(self.engine, target)

        def value(record: Record, report: Report) -> Any:
            found = linked(record)
            if not found:
                return [] if many else None
            scope = scopes.take(found[0])
            try:
                if not many:
                    return scope.get(name)
                values = []
                for other in found:
                    scope.record = other
                    values.append(scope.get(name))
                return [v for v in values if v is not None]
            finally:
                scopes.give(scope)

        plan.value = value

    def _plan_rollup(self, plan: Plan) -> None:
        agg = plan.field.agg
        if agg is None or agg not in AGGREGATES:
            raise ExpressionError(
                "bad-aggregate",
                _("“agg: {agg}” must be one of {choices}{hint}").format(
                    agg=agg, choices=or_list(AGGREGATES), hint=did_you_mean(str(agg), AGGREGATES)
                ),
            )
        through, target = self._through(plan)
        name = self._target_field(plan, target, required=agg != "count")
        if name is not None and agg in ("sum", "avg"):
            value_type = self.engine.type_of_field(target.key, name)
            if value_type not in (NUMBER, ANY):
                raise ExpressionError(
                    "type-error",
                    _("cannot {agg} “{field}”: it is not a number").format(agg=agg, field=name),
                )
        where = self._where(plan, target)
        aggregate = AGGREGATORS[agg]
        linked = _linked_records(self.engine, plan.project, through, target)
        scopes = Scopes(self.engine, target)

        def value(record: Record, report: Report) -> Any:
            scope = scopes.take(None)
            matched = []
            for found in linked(record):
                scope.record = found
                try:
                    if where is not None and not where(scope):
                        continue
                except FormulaError as error:
                    report(error, record)
                    continue
                matched.append(found if name is None else scope.get(name))
            scopes.give(scope)
            return aggregate(matched, name is None)

        plan.value = value

    def _where(self, plan: Plan, target: Project) -> Expression | None:
        source = plan.field.where
        if source is None:
            return None
        expression = self.engine.compile_for(target, source)
        for path in {*expression.paths, *((n,) for n in expression.names)}:
            self._depend_on_path(plan, target, path)
        return expression

    def _plan_formula(self, plan: Plan) -> None:
        project = plan.project
        expression = self.engine.compile_for(project, plan.field.expr or "")
        for path in {*expression.paths, *((n,) for n in expression.names)}:
            self._depend_on_path(plan, project, path)
        evaluate, scopes = expression.evaluate, Scopes(self.engine, project)

        def value(record: Record, report: Report) -> Any:
            scope = scopes.take(record)
            try:
                return evaluate(scope)
            except FormulaError as error:
                report(error, record)
                return None
            finally:
                scopes.give(scope)

        plan.value = value


def _linked_records(
    engine: Engine, project: Project, through: FieldDef, target: Project
) -> Callable[[Record], list[Record]]:
    """The records of `target` that a record names in its field `through`: a stored
    reference, or backlinks computed when first read."""
    records, key = target.records, through.key

    def linked(record: Record) -> list[Record]:
        if not through.computed:
            value = record.data.get(key)
        elif key in record.computed:
            value = record.computed[key]
        else:
            value = engine.value_of(project, record, through)
        return [found for i in reference_ids(value) if (found := records.get(i)) is not None]

    return linked


def order(log: ProblemLog, plans: dict[FieldKey, Plan]) -> list[FieldKey]:
    """The plans in dependency order; the members of a cycle are reported and left out."""
    graph = {key: {d for d in plan.depends_on if d in plans} for key, plan in plans.items()}
    while True:
        sorter = graphlib.TopologicalSorter(graph)
        try:
            return list(sorter.static_order())
        except graphlib.CycleError as error:
            cycle: list[FieldKey] = error.args[1]
            _report_cycle(log, plans, cycle)
            for key in set(cycle):
                plans[key].value = None
                graph[key] = set()


def _report_cycle(log: ProblemLog, plans: dict[FieldKey, Plan], cycle: list[FieldKey]) -> None:
    members = list(dict.fromkeys(cycle))
    chain = " → ".join(f"{p}.{f}" for p, f in [*members, members[0]])
    for key in members:
        schema_problem(
            log,
            plans[key],
            "cycle",
            _("computed fields depend on each other in a cycle: {chain}").format(chain=chain),
        )


def schema_problem(log: ProblemLog, plan: Plan, code: str, message: str) -> None:
    log.add_at(
        plan.project.schema_path,
        plan.field.line,
        plan.field.column,
        code,
        _("{project} field “{field}”: {message}").format(
            project=plan.project.name, field=plan.field.key, message=message
        ),
        field=f"{plan.project.key}.{plan.field.key}",
    )


class Failures:
    """Runtime errors of one computed field, reported once at its schema line."""

    def __init__(self, log: ProblemLog, plan: Plan) -> None:
        self.log = log
        self.plan = plan
        self.by_code: dict[str, tuple[str, list[Record]]] = {}

    def add(self, error: FormulaError, record: Record) -> None:
        self.note(error.code, error.message, record)

    def note(self, code: str, message: str, record: Record) -> None:
        self.by_code.setdefault(code, (message, []))[1].append(record)

    def by_record(self) -> dict[str, list[tuple[str, str]]]:
        """Each failed record's (code, message), kept by the index for records not computed
        again next time."""
        found: dict[str, list[tuple[str, str]]] = {}
        for code, (message, records) in self.by_code.items():
            for record in records:
                found.setdefault(record.path, []).append((code, message))
        return found

    def report(self) -> None:
        for code, (message, records) in self.by_code.items():
            examples = value_list(f"{quoted(r.name)} ({r.id})" for r in records[:_MAX_EXAMPLES])
            more = len(records) - _MAX_EXAMPLES
            text = (
                ngettext(
                    "{message} for {count} record: {examples} and {more} more",
                    "{message} for {count} records: {examples} and {more} more",
                    len(records),
                )
                if more > 0
                else ngettext(
                    "{message} for {count} record: {examples}",
                    "{message} for {count} records: {examples}",
                    len(records),
                )
            )
            schema_problem(
                self.log,
                self.plan,
                code,
                text.format(
                    message=message,
                    count=counted(len(records)),
                    examples=examples,
                    more=counted(more),
                ),
            )
        self.by_code.clear()
