"""The rules one record must follow: its values against the field-type registry, required
fields, its list and its file name.

Field-level validation, not a workspace check: editing, import, review, reports and automations
check the records they touch with it, and `crm check` runs it over every record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from crmcli.core.layout import PROJECT_FILE
from crmcli.core.model import BUILTIN_FIELDS, Record
from crmcli.core.problems import did_you_mean
from crmcli.errors import Severity
from crmcli.fields.base import NO_ISSUES, FieldType, Issue, is_empty
from crmcli.fields.context import FieldContext
from crmcli.fields.registry import field_type
from crmcli.i18n import _
from crmcli.i18n.lists import or_list

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


@dataclass(frozen=True, slots=True)
class CheckedAhead:
    """What a parse worker found of one record before the workspace was whole: the issues of
    each value that needs no other record (by key, only those with issues), and of the
    record's own rules."""

    values: dict[Any, list[RecordIssue]]
    record: list[RecordIssue]


NOTHING_AHEAD = CheckedAhead({}, [])


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
        self.later = frozenset(key for key, kind in self.types.items() if kind.reads_records)

    def issues(self, record: Record, ahead: CheckedAhead | None = None) -> list[RecordIssue]:
        """Every issue of the record, in the order of its keys then of the record's own rules;
        given what a parse worker found already (`ahead`), only the rest is checked here."""
        later = self.later if ahead is not None else frozenset()
        if ahead is None:
            ahead = self.ahead(record, later)
        found: list[RecordIssue] = []
        label = None
        for key, value in record.data.items():
            if key in later:
                label = label or self.project.record_label(record)
                found.extend(self._value_issues(key, value, label))
            else:
                found.extend(ahead.values.get(key, ()))
        found.extend(ahead.record)
        return found

    def ahead(self, record: Record, later: frozenset[str] | None = None) -> CheckedAhead:
        """The issues of the rules that need no other record (all but the `later` keys': by
        default those whose validation reads other records), for a parse worker that holds
        only the files it read. Its loop tells apart a value with nothing to say at once
        (nearly all of them): a worker checks 1.8 million values on a cold check."""
        later = self.later if later is None else later
        types, context = self.types, self.context
        values = {}
        label = ""  # made for the first issue: few records have one
        for key, value in record.data.items():
            if key in later:
                continue
            definition = types.get(key)
            found = NO_ISSUES
            if definition is not None:
                if value is None or value == "":
                    continue
                found = definition.validate(value, context)
                if not found:
                    continue
            label = label or self.project.record_label(record)
            values[key] = self._labelled(key, label, definition, found)
        return CheckedAhead(values, self._record_issues(record))

    def _value_issues(self, key: Any, value: Any, label: str) -> list[RecordIssue]:
        definition = self.types.get(key)
        if definition is None:
            return self._labelled(key, label, None, NO_ISSUES)
        if value is None or value == "":
            return []
        found = definition.validate(value, self.context)
        return self._labelled(key, label, definition, found) if found else []

    def _labelled(
        self,
        key: Any,
        label: str,
        definition: FieldType | None,
        found: list[Issue],
    ) -> list[RecordIssue]:
        """The issues a value's field type found, or the one of a key that is no field."""
        if definition is None:
            key_path, code, message = self._unexpected_key(key)
            return [RecordIssue(key_path, code, f"{label}: {message}")]
        return [
            RecordIssue((key, *issue.key_path), issue.code, f"{label}: {issue.message}")
            for issue in found
        ]

    def _record_issues(self, record: Record) -> list[RecordIssue]:
        """The rules of the record as a whole: required fields, its list, its file name."""
        found: list[RecordIssue] = []

        def error(key_path: tuple[Any, ...], code: str, message: str) -> None:
            label = self.project.record_label(record)
            found.append(RecordIssue(key_path, code, f"{label}: {message}"))

        data = record.data
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
                    lists=or_list(self.project.lists)
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
