"""Names and types of a project's fields: what a dotted path reads, what type a computed
field has, which fields a computed field reads. Works on schemas only, never on records."""

from __future__ import annotations

from crmcli.core.model import DERIVED_NAMES, FieldDef, Project, Workspace
from crmcli.core.problems import did_you_mean
from crmcli.engine.activity import ACTIVITY_VALUES
from crmcli.fields.registry import formula_type
from crmcli.formulas.compiler import Expression, compile_expression
from crmcli.formulas.types import infer_type
from crmcli.formulas.values import ANY, LIST, NUMBER, TEXT, FormulaError
from crmcli.i18n import _

UNREADABLE = "unreadable-project"
FieldKey = tuple[str, str]  # (project key, field key)
_DERIVED_TYPES = {
    "id": TEXT,
    "project": TEXT,
    "outcome": TEXT,
    "probability": NUMBER,
    "max_days": NUMBER,
    **{name: kind for name, (kind, _source, _value) in ACTIVITY_VALUES.items()},
}


class ExpressionError(Exception):
    """An expression that does not fit a project's fields (unknown name, type error)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class FieldTypes:
    """The schema side of the engine; `Engine` adds records to it."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self._types: dict[FieldKey, str] = {}
        self._typing: set[FieldKey] = set()

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

    def target_of(self, project: Project, field_key: str) -> Project | None:
        """The project a reference or referenced_by field points into."""
        definition = project.fields.get(field_key)
        linked = definition.linked_project if definition is not None else None
        return self.workspace.projects.get(linked) if linked is not None else None

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
                self.refuse_unreadable(current, name)
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
            declared = definition.display_format
            if declared in ("number", "currency", "percent"):
                return NUMBER
            if declared in ("text", "date", "checkbox"):
                return {"text": TEXT, "date": "date", "checkbox": "bool"}[declared]
            try:
                expression = compile_expression(definition.expr or "")
                return infer_type(expression, lambda path: self.type_of_path(project, path))
            except (FormulaError, ExpressionError):
                return ANY
        if kind in ("lookup", "rollup"):
            return self._aggregate_type(project, definition)
        return formula_type(kind) or ANY

    def _aggregate_type(self, project: Project, definition: FieldDef) -> str:
        through = definition.through or ""
        target = self.target_of(project, through)
        target_field = definition.source_field
        if (
            target is None
            or target_field is None
            or (target_field not in target.fields and target_field not in DERIVED_NAMES)
        ):
            return NUMBER if definition.agg == "count" else ANY
        if definition.type == "rollup":
            agg = definition.agg
            if agg in ("sum", "count", "avg"):
                return NUMBER
            if agg == "join":
                return TEXT
        through_field = project.fields.get(through)
        many = through_field is not None and (
            through_field.type == "referenced_by" or through_field.multiple
        )
        inner = self.type_of_field(target.key, target_field)
        return LIST if many and definition.type == "lookup" else inner

    def refuse_unreadable(self, project: Project, field_key: str) -> None:
        """Raise UNREADABLE when field_key leads into a project whose schema cannot be read."""
        definition = project.fields.get(field_key)
        target = definition.linked_project if definition is not None else None
        if target is not None and target in self.workspace.unreadable_projects:
            raise ExpressionError(UNREADABLE, target)

    def inputs_of(self, project: Project, definition: FieldDef) -> set[str]:
        """The fields ("project.field") a computed field reads directly; empty if broken."""
        paths: list[tuple[Project, tuple[str, ...]]] = []
        if definition.type == "referenced_by":
            return {definition.backlink_from or ""}
        if definition.type in ("lookup", "rollup"):
            through = definition.through or ""
            target = self.target_of(project, through)
            inputs = {f"{project.key}.{through}"}
            if target is None:
                return inputs
            if definition.source_field is not None:
                inputs.add(f"{target.key}.{definition.source_field}")
            if definition.where is not None:
                paths.extend((target, p) for p in _expression_paths(definition.where))
        elif definition.type == "formula":
            inputs = set()
            paths.extend((project, p) for p in _expression_paths(definition.expr or ""))
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
        computed += [  # last_activity reads the activities, next_step_due the next step…
            (f"{p.key}.{name}", {f"{p.key}.{source}"})
            for p in self.workspace.projects.values()
            for name, (_kind, source, _value) in ACTIVITY_VALUES.items()
        ]
        changed = bool(result)
        while changed:
            changed = False
            for name, inputs in computed:
                if name not in result and inputs & result:
                    result.add(name)
                    changed = True
        return frozenset(result)


def _expression_paths(source: str) -> set[tuple[str, ...]]:
    try:
        expression = compile_expression(source)
    except FormulaError:
        return set()
    return set(expression.paths) | {(name,) for name in expression.names}
