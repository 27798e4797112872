"""Field types: one validator per field, built once per project and applied to every record.

A validator takes a stored value (never None) and returns a list of issues, empty when the
value is fine. Messages speak of the field by its label, in a salesperson's words.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from crmcli.core.model import FieldDef, Member, Project
from crmcli.core.problems import did_you_mean
from crmcli.core.yamlio import KeyPath
from crmcli.i18n import _


@dataclass(frozen=True, slots=True)
class Issue:
    code: str
    message: str
    key_path: KeyPath = ()  # below the field: (2,) for its third item


Validator = Callable[[Any], list[Issue]]
NO_ISSUES: list[Issue] = []


@dataclass(slots=True)
class ValidationContext:
    """What validators of one project need to know about the rest of the workspace."""

    root: Path
    phone_region: str | None
    members: Mapping[str, Member]
    projects: Mapping[str, Project]


def is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def describe(value: Any) -> str:
    """A value as a user wrote it, for messages: “12k”, 12000, [a, b]."""
    if isinstance(value, str):
        return f"“{value}”"
    if isinstance(value, bool):
        return "true" if value else "false"  # as written: YAML 1.2 has no other booleans
    if isinstance(value, list):
        return (
            "["
            + ", ".join(describe(item) for item in value[:5])
            + (", …" if len(value) > 5 else "")
            + "]"
        )
    if isinstance(value, dict):
        return _("a mapping")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _wrong(field: FieldDef, value: Any, expected: str, hint: str = "") -> list[Issue]:
    return [
        Issue(
            "wrong-type",
            _("{label} must be {expected}, not {value}{hint}").format(
                label=field.label, expected=expected, value=describe(value), hint=hint
            ),
        )
    ]


# scalar types


def _text(field: FieldDef, context: ValidationContext) -> Validator:
    max_length = field.max_length

    def validate(value: Any) -> list[Issue]:
        if isinstance(value, str):
            if max_length is not None and len(value) > max_length:
                return [
                    Issue(
                        "too-long",
                        _(
                            "{label} is {length} characters long; at most {limit} are allowed"
                        ).format(label=field.label, length=len(value), limit=max_length),
                    )
                ]
            return NO_ISSUES
        if _is_number(value):
            return NO_ISSUES  # `zip: 75001` reads as a number; as text it means the same
        if isinstance(value, bool):
            return _wrong(
                field,
                value,
                _("text"),
                _(" (YAML reads an unquoted true or false as a yes/no value: quote it)"),
            )
        return _wrong(field, value, _("text"))

    return validate


def _number(field: FieldDef, context: ValidationContext) -> Validator:
    low, high = field.minimum, field.maximum
    expected = {"currency": _("an amount of money"), "percent": _("a percentage")}.get(
        field.type, _("a number")
    )

    def validate(value: Any) -> list[Issue]:
        if _is_number(value) and not math.isfinite(value):
            return _wrong(field, value, expected)
        if not _is_number(value):
            hint = (
                _(" (write plain digits such as 12000 or 12000.50)")
                if isinstance(value, str)
                else ""
            )
            return _wrong(field, value, expected, hint)
        if (low is not None and value < low) or (high is not None and value > high):
            return [
                Issue(
                    "out-of-range",
                    _("{label} is {value}; it must be between {low} and {high}").format(
                        label=field.label,
                        value=value,
                        low=low if low is not None else "…",
                        high=high if high is not None else "…",
                    ),
                )
            ]
        return NO_ISSUES

    return validate


@functools.lru_cache(maxsize=65536)
def email_problem(value: str) -> str | None:
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError as error:
        return str(error)
    return None


def _email(field: FieldDef, context: ValidationContext) -> Validator:
    def validate(value: Any) -> list[Issue]:
        if not isinstance(value, str):
            return _wrong(field, value, _("an e-mail address"))
        reason = email_problem(value)
        if reason:
            return [
                Issue(
                    "invalid-email",
                    _("{label} {value} is not a valid e-mail address: {reason}").format(
                        label=field.label, value=describe(value), reason=reason
                    ),
                )
            ]
        return NO_ISSUES

    return validate


def phone_problem(value: str, region: str | None) -> str | None:
    import phonenumbers

    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as error:
        return str(error.args[0]) if error.args else _("cannot read it as a phone number")
    if not phonenumbers.is_valid_number(number):
        return _("no such number exists in {region}").format(
            region=phonenumbers.region_code_for_number(number) or region or "?"
        )
    return None


def _phone(field: FieldDef, context: ValidationContext) -> Validator:
    region = field.phone_region or context.phone_region

    def validate(value: Any) -> list[Issue]:
        if not isinstance(value, str):
            return _wrong(field, value, _("a phone number"), _(" (put phone numbers in quotes)"))
        reason = phone_problem(value, region)
        if reason:
            return [
                Issue(
                    "invalid-phone",
                    _("{label} {value} is not a valid phone number: {reason}").format(
                        label=field.label, value=describe(value), reason=reason
                    ),
                )
            ]
        return NO_ISSUES

    return validate


def _url(field: FieldDef, context: ValidationContext) -> Validator:
    import validators

    def validate(value: Any) -> list[Issue]:
        if not isinstance(value, str):
            return _wrong(field, value, _("a web address"))
        if not validators.url(value, simple_host=True):
            hint = _(" (start it with https://)") if "://" not in value else ""
            return [
                Issue(
                    "invalid-url",
                    _("{label} {value} is not a valid web address{hint}").format(
                        label=field.label, value=describe(value), hint=hint
                    ),
                )
            ]
        return NO_ISSUES

    return validate


def _date(field: FieldDef, context: ValidationContext) -> Validator:
    def validate(value: Any) -> list[Issue]:
        if isinstance(value, datetime):
            return _wrong(field, value, _("a date without a time"))
        if isinstance(value, date):
            return NO_ISSUES
        if isinstance(value, str):
            try:
                date.fromisoformat(value)
            except ValueError as error:
                return [
                    Issue(
                        "invalid-date",
                        _(
                            "{label} {value} is not a valid date ({reason}); write it as YYYY-MM-DD"
                        ).format(label=field.label, value=describe(value), reason=error),
                    )
                ]
            return NO_ISSUES
        return _wrong(field, value, _("a date (YYYY-MM-DD)"))

    return validate


def _datetime(field: FieldDef, context: ValidationContext) -> Validator:
    def validate(value: Any) -> list[Issue]:
        if isinstance(value, date):
            return NO_ISSUES
        if isinstance(value, str):
            try:
                datetime.fromisoformat(value)
            except ValueError as error:
                return [
                    Issue(
                        "invalid-datetime",
                        _(
                            "{label} {value} is not a valid date and time ({reason}); "
                            "write it as 2025-08-20T16:40:00+02:00"
                        ).format(label=field.label, value=describe(value), reason=error),
                    )
                ]
            return NO_ISSUES
        return _wrong(field, value, _("a date and time"))

    return validate


def _checkbox(field: FieldDef, context: ValidationContext) -> Validator:
    def validate(value: Any) -> list[Issue]:
        return NO_ISSUES if isinstance(value, bool) else _wrong(field, value, _("true or false"))

    return validate


def _rating(field: FieldDef, context: ValidationContext) -> Validator:
    top = field.rating_max

    def validate(value: Any) -> list[Issue]:
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= top:
            return _wrong(field, value, _("a whole number from 1 to {top}").format(top=top))
        return NO_ISSUES

    return validate


def _option_issue(
    field: FieldDef, value: Any, options: tuple[str, ...], key_path: KeyPath = ()
) -> Issue:
    return Issue(
        "unknown-option",
        _("{label} {value} is not one of its options ({options}){hint}").format(
            label=field.label,
            value=describe(value),
            options=", ".join(options),
            hint=did_you_mean(str(value), options),
        ),
        key_path,
    )


def _select(field: FieldDef, context: ValidationContext) -> Validator:
    options = field.options
    allowed = frozenset(options)

    def validate(value: Any) -> list[Issue]:
        if isinstance(value, list | dict):
            return _wrong(field, value, _("a single option"))
        if str(value) not in allowed:
            return [_option_issue(field, value, options)]
        return NO_ISSUES

    return validate


def _multi_select(field: FieldDef, context: ValidationContext) -> Validator:
    options = field.options
    allowed = frozenset(options)

    def validate(value: Any) -> list[Issue]:
        if not isinstance(value, list):
            return _wrong(
                field, value, _("a list of options"), _(" (write [{value}])").format(value=value)
            )
        return [
            _option_issue(field, item, options, (index,))
            for index, item in enumerate(value)
            if isinstance(item, list | dict) or str(item) not in allowed
        ]

    return validate


# files and references


def _files(field: FieldDef, context: ValidationContext) -> Validator:
    root = context.root
    real_root = Path(os.path.realpath(root))

    def validate(value: Any) -> list[Issue]:
        if not isinstance(value, list):
            return _wrong(
                field, value, _("a list of file paths"), _(" (write [{value}])").format(value=value)
            )
        issues = []
        for index, item in enumerate(value):
            reason = _file_problem(item, root, real_root)
            if reason:
                issues.append(
                    Issue(
                        "bad-file",
                        _("{label}: {value} {reason}").format(
                            label=field.label, value=describe(item), reason=reason
                        ),
                        (index,),
                    )
                )
        return issues

    return validate


def _file_problem(item: Any, root: Path, real_root: Path) -> str | None:
    if not isinstance(item, str) or not item:
        return _("is not a file path")
    relative = PurePosixPath(item.replace("\\", "/"))
    if relative.is_absolute() or (len(item) > 1 and item[1] == ":"):
        return _("is an absolute path; give a path inside the workspace")
    if ".." in relative.parts:
        return _("leaves the workspace (“..”); give a path inside it")
    target = root / relative
    real_target = Path(os.path.realpath(target))
    if not real_target.is_relative_to(real_root):
        return _("points outside the workspace through a symbolic link")
    if not target.is_file():
        return _("does not exist in the workspace")
    return None


def reference_ids(value: Any) -> list[str]:
    """The ids a reference value names, whatever its shape."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


def _reference(field: FieldDef, context: ValidationContext) -> Validator:
    target = context.projects.get(field.target_project or "")
    multiple = field.multiple

    def validate(value: Any) -> list[Issue]:
        if target is None:
            return NO_ISSUES  # the schema problem is reported once, at the schema
        if multiple:
            if not isinstance(value, list):
                return _wrong(
                    field,
                    value,
                    _("a list of record ids"),
                    _(" (write [{value}])").format(value=value),
                )
            items = list(enumerate(value))
        else:
            if isinstance(value, list):
                return _wrong(
                    field,
                    value,
                    _("a single record id"),
                    _(" (the schema allows several only with multiple: true)"),
                )
            items = [(None, value)]
        issues = []
        for index, item in items:
            if isinstance(item, str) and item in target.records:
                continue
            issues.append(
                Issue(
                    "dangling-reference",
                    _dangling_message(field, item, target, context),
                    () if index is None else (index,),
                )
            )
        return issues

    return validate


def _dangling_message(
    field: FieldDef, item: Any, target: Project, context: ValidationContext
) -> str:
    if not isinstance(item, str):
        return _("{label} must name a record by its id, not {value}").format(
            label=field.label, value=describe(item)
        )
    hint = ""
    by_name = next((r.id for r in target.records.values() if r.name == item), None)
    elsewhere = [p for p in context.projects.values() if p is not target and item in p.records]
    if by_name:
        hint = _(" (records are referenced by id: write {id})").format(id=by_name)
    elif elsewhere:
        hint = _(" (there is a {record} with that id in {project}: wrong project?)").format(
            record=elsewhere[0].record_name, project=elsewhere[0].name
        )
    else:
        hint = did_you_mean(item, target.records)
    return _("{label} refers to {value}, but there is no such {record} in {project}{hint}").format(
        label=field.label,
        value=describe(item),
        record=target.record_name,
        project=target.name,
        hint=hint,
    )


# built-in fields


def _list_field(field: FieldDef, context: ValidationContext, project: Project) -> Validator:
    names = tuple(project.lists)

    def validate(value: Any) -> list[Issue]:
        if isinstance(value, str) and value in project.lists:
            return NO_ISSUES
        return [
            Issue(
                "unknown-list",
                _("list {value} is not a list of {project} ({lists}){hint}").format(
                    value=describe(value),
                    project=project.name,
                    lists=", ".join(names),
                    hint=did_you_mean(str(value), names),
                ),
            )
        ]

    return validate


def _tags(field: FieldDef, context: ValidationContext, project: Project) -> Validator:
    declared = frozenset(project.tags)

    def validate(value: Any) -> list[Issue]:
        if not isinstance(value, list):
            return _wrong(
                field, value, _("a list of tags"), _(" (write [{value}])").format(value=value)
            )
        return [
            Issue(
                "unknown-tag",
                _("tag {value} is not declared in {project} ({tags}){hint}").format(
                    value=describe(tag),
                    project=project.name,
                    tags=", ".join(project.tags) or "—",
                    hint=did_you_mean(str(tag), project.tags),
                ),
                (index,),
            )
            for index, tag in enumerate(value)
            if not isinstance(tag, str) or tag not in declared
        ]

    return validate


def _member(field: FieldDef, context: ValidationContext, project: Project) -> Validator:
    members = context.members

    def validate(value: Any) -> list[Issue]:
        if isinstance(value, str) and value in members:
            return NO_ISSUES
        return [
            Issue(
                "unknown-member",
                _("{label} {value} is not a member of the workspace{hint}").format(
                    label=field.label, value=describe(value), hint=did_you_mean(str(value), members)
                ),
            )
        ]

    return validate


def _checklist(field: FieldDef, context: ValidationContext, project: Project) -> Validator:
    def validate(value: Any) -> list[Issue]:
        if not isinstance(value, list):
            return _wrong(field, value, _("a list of items"))
        issues = []
        for index, item in enumerate(value):
            if isinstance(item, str):
                continue
            if (
                isinstance(item, dict)
                and isinstance(item.get("item"), str)
                and isinstance(item.get("done", False), bool)
                and set(item) <= {"item", "done"}
            ):
                continue
            issues.append(
                Issue(
                    "bad-checklist-item",
                    _(
                        "checklist item {value} must be text or {{item: …, done: true/false}}"
                    ).format(value=describe(item)),
                    (index,),
                )
            )
        return issues

    return validate


def _dependencies(field: FieldDef, context: ValidationContext, project: Project) -> Validator:
    def validate(value: Any) -> list[Issue]:
        if not isinstance(value, list):
            return _wrong(field, value, _("a list of record ids"))
        issues = []
        for index, item in enumerate(value):
            target_project, _slash, target_id = str(item).rpartition("/")
            target = context.projects.get(target_project) if target_project else project
            if target is not None and target_id in target.records:
                continue
            issues.append(
                Issue(
                    "dangling-reference",
                    _("depends on {value}, but there is no such record").format(
                        value=describe(item)
                    ),
                    (index,),
                )
            )
        return issues

    return validate


_HISTORY_KEYS = frozenset({"list", "at", "by", "note"})


def _history(field: FieldDef, context: ValidationContext, project: Project) -> Validator:
    def validate(value: Any) -> list[Issue]:
        if not isinstance(value, list):
            return _wrong(field, value, _("a list of {list: …, at: …, by: …} entries"))
        issues: list[Issue] = []
        previous: datetime | None = None
        for index, entry in enumerate(value):
            if not isinstance(entry, dict) or not isinstance(entry.get("list"), str):
                issues.append(
                    Issue(
                        "bad-history", _("history entry must be {list: …, at: …, by: …}"), (index,)
                    )
                )
                continue
            moment = entry.get("at")
            if not isinstance(moment, datetime):
                issues.append(
                    Issue(
                        "bad-history",
                        _("history entry “at” must be a date and time, not {value}").format(
                            value=describe(moment)
                        ),
                        (index, "at"),
                    )
                )
            elif previous is not None and _comparable(moment) < _comparable(previous):
                issues.append(
                    Issue(
                        "history-order",
                        _("history entries are not in chronological order"),
                        (index,),
                    )
                )
            previous = moment if isinstance(moment, datetime) else previous
            by = entry.get("by")
            if by is not None and by not in context.members:
                issues.append(
                    Issue(
                        "unknown-member",
                        _("history entry names {value}, who is not a member{hint}").format(
                            value=describe(by), hint=did_you_mean(str(by), context.members)
                        ),
                        (index, "by"),
                    )
                )
            for key in entry.keys() - _HISTORY_KEYS:
                issues.append(
                    Issue(
                        "unknown-field",
                        _("history entry has an unknown key {key}{hint}").format(
                            key=describe(key), hint=did_you_mean(str(key), _HISTORY_KEYS)
                        ),
                        (index, key),
                    )
                )
        return issues

    return validate


def _comparable(moment: datetime) -> float:
    return moment.timestamp()


_VALUE_VALIDATORS: dict[str, Callable[[FieldDef, ValidationContext], Validator]] = {
    "text": _text,
    "long_text": _text,
    "number": _number,
    "currency": _number,
    "percent": _number,
    "email": _email,
    "phone": _phone,
    "url": _url,
    "date": _date,
    "datetime": _datetime,
    "checkbox": _checkbox,
    "rating": _rating,
    "select": _select,
    "multi_select": _multi_select,
    "files": _files,
    "reference": _reference,
}
_PROJECT_VALIDATORS: dict[str, Callable[[FieldDef, ValidationContext, Project], Validator]] = {
    "list": _list_field,
    "tags": _tags,
    "member": _member,
    "checklist": _checklist,
    "dependencies": _dependencies,
    "history": _history,
}


def make_validator(
    field: FieldDef, context: ValidationContext, project: Project
) -> Validator | None:
    """The validator of a stored field; None for computed fields and unknown types."""
    if field.type in _PROJECT_VALIDATORS:
        return _PROJECT_VALIDATORS[field.type](field, context, project)
    factory = _VALUE_VALIDATORS.get(field.type)
    return factory(field, context) if factory else None


# Static types of fields for the expression language (see formulas.infer_type).
STATIC_TYPES: dict[str, str] = {
    "text": "text",
    "long_text": "text",
    "email": "text",
    "phone": "text",
    "url": "text",
    "select": "text",
    "list": "text",
    "member": "text",
    "number": "number",
    "currency": "number",
    "percent": "number",
    "rating": "number",
    "date": "date",
    "datetime": "date",
    "checkbox": "bool",
    "multi_select": "list",
    "files": "list",
    "tags": "list",
    "checklist": "list",
    "dependencies": "list",
    "history": "list",
    "referenced_by": "list",
}
