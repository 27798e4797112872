"""Reading records: where/sort/columns shared by `crm list`, reports and automations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from crmcli.core.model import DERIVED_NAMES, FieldDef, Project, Record, Role
from crmcli.core.problems import did_you_mean
from crmcli.engine.compute import Engine
from crmcli.engine.types import ExpressionError
from crmcli.errors import UsageError
from crmcli.formulas.values import FormulaError
from crmcli.i18n import _


@dataclass(frozen=True, slots=True)
class SortKey:
    field: str
    descending: bool


def parse_sort(project: Project, text: str | None) -> list[SortKey]:
    """'-amount,name' → amount descending, then name."""
    keys = []
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        descending = part.startswith("-")
        name = part.lstrip("+-")
        require_field(project, name)
        keys.append(SortKey(name, descending))
    return keys


def require_field(project: Project, name: str) -> None:
    if name not in project.fields and name not in DERIVED_NAMES:
        raise UsageError(
            _("{project} has no field “{field}”{hint}").format(
                project=project.name,
                field=name,
                hint=did_you_mean(name, [*project.fields, *DERIVED_NAMES]),
            )
        )


def _sortable(value: Any) -> tuple[int, Any]:
    """Empty values last; numbers, dates and text each compare among themselves."""
    if value is None or value == "" or value == []:
        return (3, 0)
    if isinstance(value, bool | int | float):
        return (0, value)
    if isinstance(value, date):
        return (1, value.isoformat())
    return (2, str(value).casefold())


def select_records(
    engine: Engine,
    project: Project,
    where: str | None = None,
    sort: Sequence[SortKey] = (),
    limit: int | None = None,
    role: Role | None = None,
) -> list[Record]:
    records = list(project.records.values())
    if where:
        try:
            expression = engine.compile_for(project, where)
        except ExpressionError as error:
            raise UsageError(_("--where: {message}").format(message=error.message)) from None
        if role is not None:
            paths = expression.paths | {(name,) for name in expression.names}
            for path in sorted(paths):
                for key, name in engine.resolve_path(project, path):
                    refuse_hidden(engine.workspace.projects[key], [name], role, "--where: ")
        scope = engine.scope(project)
        kept = []
        for record in records:
            scope.record = record
            try:
                if expression(scope):
                    kept.append(record)
            except FormulaError as error:
                raise UsageError(
                    _("--where fails on {record}: {message}").format(
                        record=project.record_label(record), message=error.message
                    )
                ) from None
        records = kept
    scope = engine.scope(project)
    for key in reversed(sort):

        def value_of(record: Record, name: str = key.field) -> tuple[int, Any]:
            scope.record = record
            return _sortable(scope.get(name))

        empties = [r for r in records if value_of(r)[0] == 3]
        present = [r for r in records if value_of(r)[0] != 3]
        present.sort(key=value_of, reverse=key.descending)
        records = present + empties
    return records[:limit] if limit else records


def is_hidden(project: Project, name: str, role: Role | None) -> bool:
    return role is not None and f"{project.key}.{name}" in role.hidden


def refuse_hidden(
    project: Project, names: Sequence[str], role: Role | None, prefix: str = ""
) -> None:
    """UsageError when a role asks for a field hidden from it."""
    hidden = [name for name in names if is_hidden(project, name, role)]
    if hidden and role is not None:
        raise UsageError(
            prefix
            + _("hidden from the {role} role: {fields}").format(
                role=role.name, fields=", ".join(f"{project.key}.{name}" for name in hidden)
            )
        )


def visible_fields(project: Project, role: Role | None) -> list[FieldDef]:
    """The fields a role may see, in schema order."""
    hidden = role.hidden if role else frozenset()
    return [f for f in project.fields.values() if f"{project.key}.{f.key}" not in hidden]


def display_field(engine: Engine, project: Project, field: FieldDef) -> FieldDef:
    """The field whose type decides how a value is shown: a lookup of an amount is money."""
    seen = set()
    while field.type in ("lookup", "rollup") and "format" not in field.spec:
        if field.type == "rollup" and field.spec.get("agg") in ("count", "join"):
            return field
        target = engine.target_of(project, str(field.spec.get("through")))
        target_field = target.fields.get(str(field.spec.get("field"))) if target else None
        if target_field is None or (target.key, target_field.key) in seen:
            return field
        seen.add((target.key, target_field.key))
        project, field = target, target_field
    return field
