"""The rules one record must follow: its values against the field-type registry, required
fields, its list and its file name.

Field-level validation, not a workspace check: editing, import, review, reports and automations
check the records they touch with it, and `crm check` runs it over every record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from crmcli.core.loader import PROJECT_FILE
from crmcli.core.model import BUILTIN_FIELDS, Record
from crmcli.core.problems import did_you_mean
from crmcli.errors import Severity
from crmcli.fields.base import FieldType, is_empty
from crmcli.fields.context import FieldContext
from crmcli.fields.registry import field_type
from crmcli.i18n import _

ID_PATTERN = re.compile(r"^[a-z0-9]+(?:[-_.][a-z0-9]+)*$")


@dataclass(frozen=True, slots=True)
class RecordIssue:
    key_path: tuple[Any, ...]
    code: str
    message: str
    severity: Severity = Severity.ERROR

    @property
    def field(self) -> Any:
        return self.key_path[0] if self.key_path else None


class RecordChecker:
    """Every rule one record must follow; built once per project, applied to each record."""

    def __init__(self, context: FieldContext) -> None:
        project = context.project
        self.project = project
        self.context = context
        self.types: dict[str, FieldType] = {
            key: field_type(f) for key, f in project.fields.items() if not f.computed
        }
        self.required = [f for f in project.fields.values() if f.required and not f.computed]
        self.required_in = [f for f in project.fields.values() if f.required_in and not f.computed]
        self.needs_list = bool(project.lists) and "list" in project.fields

    def issues(self, record: Record) -> list[RecordIssue]:
        found: list[RecordIssue] = []
        label = self.project.record_label(record)

        def error(key_path: tuple[Any, ...], code: str, message: str) -> None:
            found.append(RecordIssue(key_path, code, f"{label}: {message}"))

        data = record.data
        types, context = self.types, self.context
        for key, value in data.items():
            if key in types:
                if value is not None and value != "":
                    for issue in types[key].validate(value, context):
                        error((key, *issue.key_path), issue.code, issue.message)
            else:
                error(*self._unexpected_key(key))
        for definition in self.required:
            if is_empty(data.get(definition.key)):
                error(
                    (definition.key,),
                    "required",
                    _("{label} is required").format(label=definition.label),
                )
        if self.needs_list and is_empty(data.get("list")):
            error(
                ("list",),
                "no-list",
                _("is in no list; add list: one of {lists}").format(
                    lists=", ".join(self.project.lists)
                ),
            )
        list_name = data.get("list")
        for definition in self.required_in:
            if list_name in definition.required_in and is_empty(data.get(definition.key)):
                error(
                    (definition.key,) if definition.key in data else ("list",),
                    "required",
                    _("{label} is required in “{list}”").format(
                        label=definition.label, list=list_name
                    ),
                )
        if not ID_PATTERN.match(record.id):
            found.append(
                RecordIssue(
                    (),
                    "bad-id",
                    _(
                        "the file name “{id}” is not a lowercase id (letters, digits and dashes)"
                    ).format(id=record.id),
                    Severity.WARNING,
                )
            )
        return found

    def _unexpected_key(self, key: Any) -> tuple[tuple[Any, ...], str, str]:
        field = self.project.fields.get(key)
        if field is not None and field.computed:
            message = _("{label} is computed ({kind}); remove it from the file").format(
                label=field.label, kind=field.type
            )
            return (key,), "computed-field-in-record", message
        if key in BUILTIN_FIELDS:
            return (
                (key,),
                "removed-field",
                _("“{field}” is not used in {project} (removed in {file})").format(
                    field=key, project=self.project.name, file=PROJECT_FILE
                ),
            )
        return (
            (str(key),),
            "unknown-field",
            _("unknown field “{field}”{hint}").format(
                field=key, hint=did_you_mean(str(key), self.types)
            ),
        )
