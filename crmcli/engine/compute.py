"""References, backlinks, lookups, rollups and formulas, computed in dependency order.

Planning works on schemas only: every computed field becomes a `Plan` whose definition is
checked (problems at the schema line) and whose dependencies on other computed fields are
known. `graphlib` orders the plans and finds cycles; then each plan fills
`record.computed[field]` for every record of its project.
"""

from __future__ import annotations

import graphlib
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from crmcli.core.model import DERIVED_NAMES, FieldDef, ListDef, Project, Record, Workspace
from crmcli.core.problems import ProblemLog, did_you_mean
from crmcli.errors import Severity
from crmcli.fields.references import reference_ids
from crmcli.fields.registry import formula_type
from crmcli.formulas.compiler import (
    ANY,
    LIST,
    NUMBER,
    TEXT,
    Expression,
    FormulaError,
    compile_expression,
    display_text,
    infer_type,
    is_number,
)
from crmcli.i18n import _

AGGREGATES = ("sum", "count", "min", "max", "avg", "join")
UNREADABLE = "unreadable-project"
_MAX_EXAMPLES = 3
FieldKey = tuple[str, str]  # (project key, field key)


class ExpressionError(Exception):
    """An expression that does not fit a project's fields (unknown name, type error)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(slots=True)
class Plan:
    project: Project
    field: FieldDef
    depends_on: set[FieldKey] = field(default_factory=set)
    compute: Callable[[], None] | None = None  # None when the definition is broken


class RecordScope:
    """The names an expression sees for one record. Reused across records for speed."""

    __slots__ = ("engine", "project", "record", "today")

    def __init__(self, engine: Engine, project: Project, record: Record | None = None) -> None:
        self.engine = engine
        self.project = project
        self.record = record
        self.today = engine.today

    def get(self, name: str) -> Any:
        record = self.record
        computed = record.computed
        if name in computed:
            return computed[name]
        data = record.data
        if name in data:
            return data[name]
        derived = _DERIVED.get(name)
        return derived(self.project, record) if derived else None

    def path(self, names: tuple[str, ...]) -> Any:
        return self.engine.follow_path(self.project, self.record, names)


class _OnDemandScope(RecordScope):
    """A scope that computes a formula or lookup the first time an expression reads it."""

    __slots__ = ()

    def get(self, name: str) -> Any:
        record = self.record
        definition = self.project.fields.get(name)
        if (
            definition is not None
            and definition.computed
            and name not in record.computed
            and self.engine._computable_alone(self.project, definition)
        ):
            record.computed[name] = None  # a cycle reads empty instead of recursing
            record.computed[name] = self._compute(definition)
        return RecordScope.get(self, name)

    def path(self, names: tuple[str, ...]) -> Any:
        return self.engine.follow_path(self.project, self.record, names, _OnDemandScope)

    def _compute(self, definition: FieldDef) -> Any:
        if definition.type == "lookup":
            through = str(definition.spec.get("through", ""))
            return self.path((through, str(definition.spec.get("field", ""))))
        expression = self.engine._record_expression(self.project, definition)
        if expression is None:
            return None
        try:
            return expression(self)
        except FormulaError:
            return None


def _list_of(project: Project, record: Record) -> ListDef | None:
    name = record.data.get("list")
    return project.lists.get(name) if isinstance(name, str) else None


def _outcome(project: Project, record: Record) -> str | None:
    stage = _list_of(project, record)
    return stage.outcome if stage else None


def _probability(project: Project, record: Record) -> float | None:
    stage = _list_of(project, record)
    if stage is None:
        return None
    if stage.probability is not None:
        return stage.probability
    return {"won": 1.0, "lost": 0.0, "closed": 0.0}.get(stage.outcome)


_DERIVED: dict[str, Callable[[Project, Record], Any]] = {
    "id": lambda project, record: record.id,
    "project": lambda project, record: project.key,
    "outcome": _outcome,
    "probability": _probability,
    "max_days": lambda project, record: s.max_days if (s := _list_of(project, record)) else None,
}
_DERIVED_TYPES = {
    "id": TEXT,
    "project": TEXT,
    "outcome": TEXT,
    "probability": NUMBER,
    "max_days": NUMBER,
}


class Engine:
    def __init__(self, workspace: Workspace, log: ProblemLog, today: date | None = None) -> None:
        self.workspace = workspace
        self.log = log
        self.today = today or date.today()
        self._types: dict[FieldKey, str] = {}
        self._typing: set[FieldKey] = set()
        self._expressions: dict[FieldKey, Expression | None] = {}
        self._alone: dict[FieldKey, bool] = {}

    # public API

    def run(self) -> None:
        """Plan and compute every computed field of every project."""
        plans = self._plan_all()
        for key in self._order(plans):
            plan = plans[key]
            if plan.compute is not None:
                plan.compute()

    def compile_for(self, project: Project, source: str) -> Expression:
        """Compile an expression over a project's fields, or raise ExpressionError."""
        try:
            expression = compile_expression(source)
        except FormulaError as error:
            raise ExpressionError(error.code, error.message) from None
        self.check_names(project, expression)
        try:
            infer_type(expression, lambda path: self.type_of_path(project, path))
        except FormulaError as error:
            raise ExpressionError(error.code, error.message) from None
        return expression

    def compute_record(self, project: Project, record: Record) -> None:
        """Fill one record's formulas and lookups, computing what they read in referenced
        records on demand, without computing whole projects. Rollups and backlinks need every
        record of another project, so they are left out: `record.computed` lacks them."""
        scope = _OnDemandScope(self, project, record)
        for definition in project.computed_fields:
            scope.get(definition.key)

    def _computable_alone(self, project: Project, definition: FieldDef) -> bool:
        """A formula or lookup through references whose inputs are too, at any depth."""
        key = (project.key, definition.key)
        if key not in self._alone:
            self._alone[key] = False  # a cycle is not computable
            self._alone[key] = self._inputs_alone(project, definition)
        return self._alone[key]

    def _inputs_alone(self, project: Project, definition: FieldDef) -> bool:
        if definition.type == "lookup":
            through = project.fields.get(str(definition.spec.get("through", "")))
            if through is None or through.type != "reference":
                return False
        elif definition.type != "formula":
            return False
        for name in self.inputs_of(project, definition):
            project_key, _dot, field_key = name.partition(".")
            source = self.workspace.projects.get(project_key)
            field_def = source.fields.get(field_key) if source else None
            if (
                source is not None
                and field_def is not None
                and field_def.computed
                and not self._computable_alone(source, field_def)
            ):
                return False
        return True

    def _record_expression(self, project: Project, definition: FieldDef) -> Expression | None:
        key = (project.key, definition.key)
        if key not in self._expressions:
            try:
                self._expressions[key] = self.compile_for(
                    project, str(definition.spec.get("expr", ""))
                )
            except ExpressionError:
                self._expressions[key] = None
        return self._expressions[key]

    def scope(self, project: Project, record: Record | None = None) -> RecordScope:
        return RecordScope(self, project, record)

    def evaluate(self, expression: Expression, project: Project, record: Record) -> Any:
        return expression(RecordScope(self, project, record))

    def target_of(self, project: Project, field_key: str) -> Project | None:
        """The project a reference or referenced_by field points into."""
        definition = project.fields.get(field_key)
        if definition is None:
            return None
        if definition.type == "reference":
            return self.workspace.projects.get(str(definition.spec.get("project")))
        if definition.type == "referenced_by":
            source = str(definition.spec.get("from", "")).partition(".")[0]
            return self.workspace.projects.get(source)
        return None

    def follow_path(
        self,
        project: Project,
        record: Record,
        names: tuple[str, ...],
        scope_class: type[RecordScope] = RecordScope,
    ) -> Any:
        records, many = [record], False
        for name in names[:-1]:
            target = self.target_of(project, name)
            if target is None:
                return None
            definition = project.fields[name]
            many = many or definition.type == "referenced_by" or definition.multiple
            next_records = []
            for current in records:
                for target_id in reference_ids(current.value(name)):
                    found = target.records.get(target_id)
                    if found is not None:
                        next_records.append(found)
            records, project = next_records, target
        scope = scope_class(self, project)
        values = []
        for current in records:
            scope.record = current
            values.append(scope.get(names[-1]))
        if many:
            return [v for v in values if v is not None]
        return values[0] if values else None

    # names and types

    def check_names(self, project: Project, expression: Expression) -> None:
        paths = set(expression.paths) | {(name,) for name in expression.names}
        for path in sorted(paths):
            self._resolve_path(project, path)

    def resolve_path(self, project: Project, path: tuple[str, ...]) -> list[FieldKey]:
        """The (project, field) pairs a dotted path such as client.email reads."""
        return self._resolve_path(project, path)

    def _resolve_path(self, project: Project, path: tuple[str, ...]) -> list[FieldKey]:
        """The (project, field) pairs a dotted path walks through; ExpressionError if unknown."""
        steps: list[FieldKey] = []
        current = project
        for position, name in enumerate(path):
            if name not in current.fields and name not in DERIVED_NAMES:
                known = [*current.fields, *DERIVED_NAMES]
                raise ExpressionError(
                    "unknown-name",
                    _("unknown field “{name}” in {project}{hint}").format(
                        name=name, project=current.name, hint=did_you_mean(name, known)
                    ),
                )
            steps.append((current.key, name))
            if position < len(path) - 1:
                target = self.target_of(current, name)
                self._refuse_unreadable(current, name)
                if target is None:
                    raise ExpressionError(
                        "not-a-reference",
                        _("“{name}” is not a reference, so “{path}” leads nowhere").format(
                            name=name, path=".".join(path)
                        ),
                    )
                current = target
        return steps

    def type_of_path(self, project: Project, path: tuple[str, ...]) -> str:
        steps = self._resolve_path(project, path)
        many = False
        for project_key, name in steps[:-1]:
            definition = self.workspace.projects[project_key].fields[name]
            many = many or definition.type == "referenced_by" or definition.multiple
        result = self.type_of_field(*steps[-1])
        return LIST if many else result

    def type_of_field(self, project_key: str, name: str) -> str:
        if name in _DERIVED_TYPES and name not in self.workspace.projects[project_key].fields:
            return _DERIVED_TYPES[name]
        key = (project_key, name)
        if key in self._types:
            return self._types[key]
        if key in self._typing:
            return ANY  # a cycle: reported by the planner
        self._typing.add(key)
        try:
            result = self._compute_type(self.workspace.projects[project_key], name)
        finally:
            self._typing.discard(key)
        self._types[key] = result
        return result

    def _compute_type(self, project: Project, name: str) -> str:
        definition = project.fields[name]
        kind = definition.type
        if kind == "reference":
            return LIST if definition.multiple else TEXT
        if kind == "formula":
            declared = definition.spec.get("format")
            if declared in ("number", "currency", "percent"):
                return NUMBER
            if declared in ("text", "date", "checkbox"):
                return {"text": TEXT, "date": "date", "checkbox": "bool"}[declared]
            try:
                expression = compile_expression(str(definition.spec.get("expr", "")))
                return infer_type(expression, lambda path: self.type_of_path(project, path))
            except (FormulaError, ExpressionError):
                return ANY
        if kind in ("lookup", "rollup"):
            return self._aggregate_type(project, definition)
        return formula_type(kind) or ANY

    def _aggregate_type(self, project: Project, definition: FieldDef) -> str:
        through = str(definition.spec.get("through", ""))
        target = self.target_of(project, through)
        target_field = definition.spec.get("field")
        if target is None or (
            target_field not in target.fields and target_field not in DERIVED_NAMES
        ):
            return NUMBER if definition.spec.get("agg") == "count" else ANY
        if definition.type == "rollup":
            agg = definition.spec.get("agg")
            if agg in ("sum", "count", "avg"):
                return NUMBER
            if agg == "join":
                return TEXT
        through_field = project.fields.get(through)
        many = through_field is not None and (
            through_field.type == "referenced_by" or through_field.multiple
        )
        inner = self.type_of_field(target.key, str(target_field))
        return LIST if many and definition.type == "lookup" else inner

    def _refuse_unreadable(self, project: Project, field_key: str) -> None:
        """Raise UNREADABLE when field_key leads into a project whose schema cannot be read."""
        definition = project.fields.get(field_key)
        if definition is None:
            return
        if definition.type == "reference":
            target = str(definition.spec.get("project"))
        elif definition.type == "referenced_by":
            target = str(definition.spec.get("from", "")).partition(".")[0]
        else:
            return
        if target in self.workspace.unreadable_projects:
            raise ExpressionError(UNREADABLE, target)

    def inputs_of(self, project: Project, definition: FieldDef) -> set[str]:
        """The fields ("project.field") a computed field reads directly; empty if broken."""
        spec = definition.spec
        paths: list[tuple[Project, tuple[str, ...]]] = []
        if definition.type == "referenced_by":
            return {str(spec.get("from", ""))}
        if definition.type in ("lookup", "rollup"):
            through = str(spec.get("through", ""))
            target = self.target_of(project, through)
            inputs = {f"{project.key}.{through}"}
            if target is None:
                return inputs
            if spec.get("field") is not None:
                inputs.add(f"{target.key}.{spec['field']}")
            if spec.get("where") is not None:
                paths.extend((target, p) for p in _expression_paths(str(spec["where"])))
        elif definition.type == "formula":
            inputs = set()
            paths.extend((project, p) for p in _expression_paths(str(spec.get("expr", ""))))
        else:
            return set()
        for start, path in paths:
            try:
                inputs.update(f"{p}.{f}" for p, f in self._resolve_path(start, path))
            except ExpressionError:
                continue
        return inputs

    def hidden_closure(self, hidden: frozenset[str]) -> frozenset[str]:
        """`hidden` plus every computed field that reads a hidden one, at any depth."""
        result = set(hidden)
        computed = [
            (f"{p.key}.{f.key}", self.inputs_of(p, f))
            for p in self.workspace.projects.values()
            for f in p.computed_fields
        ]
        changed = bool(result)
        while changed:
            changed = False
            for name, inputs in computed:
                if name not in result and inputs & result:
                    result.add(name)
                    changed = True
        return frozenset(result)

    # planning

    def _plan_all(self) -> dict[FieldKey, Plan]:
        plans: dict[FieldKey, Plan] = {}
        for project in self.workspace.projects.values():
            for definition in project.computed_fields:
                plan = Plan(project, definition)
                try:
                    planner = getattr(self, "_plan_" + definition.type)
                    planner(plan)
                except ExpressionError as error:
                    plan.compute = None
                    if error.code != UNREADABLE:  # the broken schema reports itself
                        self._schema_problem(plan, error.code, error.message)
                plans[(project.key, definition.key)] = plan
        return plans

    def _schema_problem(self, plan: Plan, code: str, message: str) -> None:
        self.log.add_at(
            plan.project.schema_path,
            plan.field.line,
            plan.field.column,
            code,
            _("{project} field “{field}”: {message}").format(
                project=plan.project.name, field=plan.field.key, message=message
            ),
        )

    def _depend_on_path(self, plan: Plan, project: Project, path: tuple[str, ...]) -> None:
        for project_key, name in self._resolve_path(project, path):
            definition = self.workspace.projects[project_key].fields.get(name)
            if definition is not None and definition.computed:
                plan.depends_on.add((project_key, name))

    def _plan_referenced_by(self, plan: Plan) -> None:
        source_key, _dot, source_field = str(plan.field.spec.get("from", "")).partition(".")
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
        if definition.spec.get("project") != plan.project.key:
            raise ExpressionError(
                "wrong-project",
                _("{source}.{field} refers to {other}, not to {project}").format(
                    source=source_key,
                    field=source_field,
                    other=definition.spec.get("project"),
                    project=plan.project.key,
                ),
            )

        def compute() -> None:
            backlinks: dict[str, list[str]] = defaultdict(list)
            for record in source.records.values():
                for target_id in reference_ids(record.data.get(source_field)):
                    backlinks[target_id].append(record.id)
            key = plan.field.key
            for record in plan.project.records.values():
                record.computed[key] = backlinks.get(record.id, [])

        plan.compute = compute

    def _through(self, plan: Plan) -> tuple[FieldDef, Project]:
        through = str(plan.field.spec.get("through", ""))
        definition = plan.project.fields.get(through)
        target = self.target_of(plan.project, through)
        self._refuse_unreadable(plan.project, through)
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
        return definition, target

    def _target_field(self, plan: Plan, target: Project, required: bool = True) -> str | None:
        name = plan.field.spec.get("field")
        if name is None and not required:
            return None
        name = str(name)
        self._depend_on_path(plan, target, (name,))
        return name

    def _plan_lookup(self, plan: Plan) -> None:
        through, target = self._through(plan)
        name = self._target_field(plan, target)
        many = through.type == "referenced_by" or through.multiple
        key, through_key = plan.field.key, through.key
        project = plan.project

        def compute() -> None:
            scope = RecordScope(self, target)
            records = target.records
            for record in project.records.values():
                values = []
                for target_id in reference_ids(record.value(through_key)):
                    found = records.get(target_id)
                    if found is not None:
                        scope.record = found
                        values.append(scope.get(name))
                if many:
                    record.computed[key] = [v for v in values if v is not None]
                else:
                    record.computed[key] = values[0] if values else None

        plan.compute = compute

    def _plan_rollup(self, plan: Plan) -> None:
        agg = plan.field.spec.get("agg")
        if agg not in AGGREGATES:
            raise ExpressionError(
                "bad-aggregate",
                _("“agg: {agg}” must be one of {choices}{hint}").format(
                    agg=agg, choices=", ".join(AGGREGATES), hint=did_you_mean(str(agg), AGGREGATES)
                ),
            )
        through, target = self._through(plan)
        name = self._target_field(plan, target, required=agg != "count")
        if name is not None and agg in ("sum", "avg"):
            value_type = self.type_of_field(target.key, name)
            if value_type not in (NUMBER, ANY):
                raise ExpressionError(
                    "type-error",
                    _("cannot {agg} “{field}”: it is not a number").format(agg=agg, field=name),
                )
        where = self._where(plan, target)
        aggregate = AGGREGATORS[str(agg)]
        key, through_key, project = plan.field.key, through.key, plan.project
        failures = _Failures(self, plan)

        def compute() -> None:
            scope = RecordScope(self, target)
            records = target.records
            for record in project.records.values():
                matched = []
                for target_id in reference_ids(record.value(through_key)):
                    found = records.get(target_id)
                    if found is None:
                        continue
                    scope.record = found
                    try:
                        if where is not None and not where(scope):
                            continue
                    except FormulaError as error:
                        failures.add(error, record)
                        continue
                    matched.append(found if name is None else scope.get(name))
                record.computed[key] = aggregate(matched, name is None)
            failures.report()

        plan.compute = compute

    def _where(self, plan: Plan, target: Project) -> Expression | None:
        source = plan.field.spec.get("where")
        if source is None:
            return None
        expression = self.compile_for(target, str(source))
        for path in {*expression.paths, *((n,) for n in expression.names)}:
            self._depend_on_path(plan, target, path)
        return expression

    def _plan_formula(self, plan: Plan) -> None:
        expression = self.compile_for(plan.project, str(plan.field.spec.get("expr", "")))
        for path in {*expression.paths, *((n,) for n in expression.names)}:
            self._depend_on_path(plan, plan.project, path)
        key, project = plan.field.key, plan.project
        failures = _Failures(self, plan)

        def compute() -> None:
            scope = RecordScope(self, project)
            evaluate = expression.evaluate
            for record in project.records.values():
                scope.record = record
                try:
                    record.computed[key] = evaluate(scope)
                except FormulaError as error:
                    record.computed[key] = None
                    failures.add(error, record)
            failures.report()

        plan.compute = compute

    # ordering

    def _order(self, plans: dict[FieldKey, Plan]) -> list[FieldKey]:
        graph = {key: {d for d in plan.depends_on if d in plans} for key, plan in plans.items()}
        while True:
            sorter = graphlib.TopologicalSorter(graph)
            try:
                return list(sorter.static_order())
            except graphlib.CycleError as error:
                cycle: list[FieldKey] = error.args[1]
                self._report_cycle(plans, cycle)
                for key in set(cycle):
                    plans[key].compute = None
                    graph[key] = set()

    def _report_cycle(self, plans: dict[FieldKey, Plan], cycle: list[FieldKey]) -> None:
        members = list(dict.fromkeys(cycle))
        chain = " → ".join(f"{p}.{f}" for p, f in [*members, members[0]])
        for key in members:
            self._schema_problem(
                plans[key],
                "cycle",
                _("computed fields depend on each other in a cycle: {chain}").format(chain=chain),
            )


def _expression_paths(source: str) -> set[tuple[str, ...]]:
    try:
        expression = compile_expression(source)
    except FormulaError:
        return set()
    return set(expression.paths) | {(name,) for name in expression.names}


class _Failures:
    """Runtime errors of one computed field, reported once at its schema line."""

    def __init__(self, engine: Engine, plan: Plan) -> None:
        self.engine = engine
        self.plan = plan
        self.by_code: dict[str, tuple[str, list[Record]]] = {}

    def add(self, error: FormulaError, record: Record) -> None:
        self.by_code.setdefault(error.code, (error.message, []))[1].append(record)

    def report(self) -> None:
        for code, (message, records) in self.by_code.items():
            examples = ", ".join(f"“{r.name}” ({r.id})" for r in records[:_MAX_EXAMPLES]) + (
                _(" and {n} more").format(n=len(records) - _MAX_EXAMPLES)
                if len(records) > _MAX_EXAMPLES
                else ""
            )
            self.engine._schema_problem(
                self.plan,
                code,
                _("{message} for {count} record(s): {examples}").format(
                    message=message, count=len(records), examples=examples
                ),
            )
        self.by_code.clear()


def _aggregate_sum(values: list[Any], records: bool) -> Any:
    return sum(v for v in values if is_number(v))


def _aggregate_count(values: list[Any], records: bool) -> int:
    return len(values) if records else sum(1 for v in values if v not in (None, "", []))


def _aggregate_avg(values: list[Any], records: bool) -> Any:
    numbers = [v for v in values if is_number(v)]
    return sum(numbers) / len(numbers) if numbers else None


def _aggregate_extreme(pick: Callable[[Iterable[Any]], Any]) -> Callable[[list[Any], bool], Any]:
    def aggregate(values: list[Any], records: bool) -> Any:
        present = [v for v in values if v is not None]
        try:
            return pick(present) if present else None
        except TypeError:
            return None

    return aggregate


def _aggregate_join(values: list[Any], records: bool) -> str:
    return ", ".join(display_text(v) for v in values if v not in (None, ""))


AGGREGATORS: dict[str, Callable[[list[Any], bool], Any]] = {
    "sum": _aggregate_sum,
    "count": _aggregate_count,
    "avg": _aggregate_avg,
    "min": _aggregate_extreme(min),
    "max": _aggregate_extreme(max),
    "join": _aggregate_join,
}


def compute(workspace: Workspace, log: ProblemLog, today: date | None = None) -> Engine:
    """Compute every computed field of the workspace; problems go to `log`."""
    engine = Engine(workspace, log, today)
    engine.run()
    return engine


__all__ = ["Engine", "ExpressionError", "RecordScope", "Severity", "compute"]
