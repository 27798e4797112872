"""Reading records: where/sort/columns shared by `crm list`, reports and automations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from crmcli.core.collation import sortable
from crmcli.core.model import DERIVED_NAMES, Project, Record
from crmcli.core.problems import did_you_mean
from crmcli.engine.compute import Engine
from crmcli.engine.reader import Reader
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


def select_records(
    engine: Engine,
    project: Project,
    where: str | None = None,
    sort: Sequence[SortKey] = (),
    limit: int | None = None,
    reader: Reader | None = None,
) -> list[Record]:
    records = list(project.records.values())
    if where:
        try:
            expression = engine.compile_for(project, where)
        except ExpressionError as error:
            raise UsageError(_("--where: {message}").format(message=error.message)) from None
        if reader is not None and reader.hidden:
            paths = expression.paths | {(name,) for name in expression.names}
            for path in sorted(paths):
                for key, name in engine.resolve_path(project, path):
                    reader.refuse_hidden(engine.workspace.projects[key], [name], "--where: ")
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
    for sort_key in reversed(sort):

        def value_of(record: Record, name: str = sort_key.field) -> tuple[int, Any]:
            scope.record = record
            return sortable(scope.get(name))

        empties = [r for r in records if value_of(r)[0] == 3]
        present = [r for r in records if value_of(r)[0] != 3]
        present.sort(key=value_of, reverse=sort_key.descending)
        records = present + empties
    return records[:limit] if limit else records
