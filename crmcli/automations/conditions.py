"""Conditions of rules (`when:`, `assign: {by: …, routes: …}`): compiled against a project's
fields plus the helpers `days_in_list` and `days_since_update`, and evaluated over one record
at one moment."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from crmcli.automations.outcomes import FAILED, Report
from crmcli.core.model import Project, Record
from crmcli.engine.compute import Engine
from crmcli.engine.scope import RecordScope
from crmcli.engine.types import ExpressionError
from crmcli.formulas.compiler import Expression, compile_expression
from crmcli.formulas.functions import FUNCTIONS
from crmcli.formulas.types import infer_type
from crmcli.formulas.values import NUMBER, FormulaError
from crmcli.git.timeline import Timeline
from crmcli.i18n import LazyText, lazy

if TYPE_CHECKING:
    from crmcli.automations.rules import Rule

HELPERS = {"days_in_list": NUMBER, "days_since_update": NUMBER}
CONDITION = lazy("condition")  # what a condition that cannot be computed is reported as


def compile_condition(engine: Engine, project: Project, source: str) -> Expression:
    """A condition over a project's fields plus the helpers; ExpressionError if it is wrong."""
    try:
        expression = compile_expression(source, FUNCTIONS)
    except FormulaError as error:
        raise ExpressionError(error.code, error.message) from None
    for path in sorted(set(expression.paths) | {(name,) for name in expression.names}):
        if not _is_helper(project, path):
            engine.resolve_path(project, path)

    def type_of(path: tuple[str, ...]) -> str:
        if _is_helper(project, path):
            return HELPERS[path[0]]
        return engine.type_of_path(project, path)

    try:
        infer_type(expression, type_of, FUNCTIONS)
    except FormulaError as error:
        raise ExpressionError(error.code, error.message) from None
    return expression


def _is_helper(project: Project, path: tuple[str, ...]) -> bool:
    return len(path) == 1 and path[0] in HELPERS and path[0] not in project.fields


class RuleScope:
    """What a condition or a message sees for one record at one moment: fields (computed
    ones too, computed on demand by the engine) and the helpers."""

    def __init__(
        self,
        engine: Engine,
        project: Project,
        record: Record,
        moment: datetime,
        times: Timeline,
    ) -> None:
        self.engine = engine
        self.project = project
        self.record = record
        self.moment = moment
        self.today = moment.date()
        self.times = times
        self._fields = RecordScope(engine, project, record)

    def focus(self, record: Record) -> None:
        """Read another record of the same project (one scope serves a whole project)."""
        self.record = record
        self._fields.record = record

    def get(self, name: str) -> Any:
        if name in HELPERS and name not in self.project.fields:
            return self.days_in_list() if name == "days_in_list" else self.days_since_update()
        return self._fields.get(name)

    def path(self, names: tuple[str, ...]) -> Any:
        return self._fields.path(names)

    def days_in_list(self) -> int:
        return self.times.days_in_list(self.record, self.moment)

    def days_since_update(self) -> int:
        return self.times.days_since_update(self.record, self.moment)


def evaluate(
    expression: Expression, scope: RuleScope, report: Report, rule: Rule, target: str | LazyText
) -> Any:
    """The expression's value for the scope's record; None when it cannot be computed, which
    the report tells as a failure of the rule (the run goes on with the other records).
    `target` may be lazy: `crm remind` evaluates hundreds of thousands of conditions and
    translates the word only for one that fails."""
    try:
        return expression(scope)
    except FormulaError as error:
        report.add(FAILED, rule, scope.record, str(target), error.message)
        return None
