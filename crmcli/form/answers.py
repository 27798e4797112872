"""A visitor's answers typed into a record's values by the same field types as `crm set` and
checked like `crm check`, each error kept beside its field.

Text (the HTML form, or a JSON string) is read in the workspace locale (`12 000,50`,
`31/12/2026`, a phone number in the default region); a JSON number, boolean or list is already
typed and only checked. Anything but the form's own fields is refused: nobody outside sets the
assignee, the list, tags, or a field the form does not ask."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from crmcli.core.text_forms import nfc
from crmcli.errors import InvalidValueError
from crmcli.fields.base import is_empty
from crmcli.fields.context import FieldContext
from crmcli.fields.registry import field_type
from crmcli.form.schema import NAME, Form, FormField
from crmcli.i18n import _, counted, ngettext

Answer = str | int | float | bool | list[Any] | None


@dataclass(slots=True)
class Answers:
    """What the visitor typed (shown back on errors), the typed values, and the errors by key."""

    typed: dict[str, Any] = field(default_factory=dict)  # as typed: str or list of str
    values: dict[str, Any] = field(default_factory=dict)  # as stored, without the name
    errors: dict[str, str] = field(default_factory=dict)
    name: str = ""

    @property
    def valid(self) -> bool:
        return not self.errors


def read_answers(form: Form, raw: Mapping[str, Answer], context: FieldContext) -> Answers:
    answers = Answers()
    for key in raw:
        if key not in form.keys:
            answers.errors[str(key)[:80]] = _("“{key}” is not a field of this form.").format(
                key=str(key)[:80]
            )
    for asked in form.fields:
        given = raw.get(asked.key)
        answers.typed[asked.key] = given
        message = _read_one(asked, given, context, answers)
        if message:
            answers.errors[asked.key] = message
    return answers


def _read_one(asked: FormField, given: Answer, context: FieldContext, answers: Answers) -> str:
    """The error of one answer ('' when it is fine); a fine one goes into `answers`."""
    if isinstance(given, str):  # browsers send a textarea's lines with CRLF
        given = nfc(given.strip().replace("\r\n", "\n").replace("\r", "\n"))
    if isinstance(given, list) and asked.input != "checkboxes":
        return _("{label}: give one value.").format(label=asked.label)
    if is_empty(given) or (given is False and asked.input == "checkbox"):
        if asked.required:
            return _("{label} is required.").format(label=asked.label)
        return ""
    too_long = _too_long(asked, given)
    if too_long:
        return too_long
    if asked.key == NAME:
        if not isinstance(given, str):
            return _("{label} must be text.").format(label=asked.label)
        answers.name = given
        return ""
    definition = context.project.fields[asked.key]
    kind = field_type(definition)
    try:
        value = _typed(kind, given, context)
    except InvalidValueError as error:
        return error.message
    issues = kind.validate(value, context)
    if issues:
        return issues[0].message
    answers.values[asked.key] = value
    return ""


def _typed(kind: Any, given: Answer, context: FieldContext) -> Any:
    if isinstance(given, str):
        return kind.parse(given, context)
    if isinstance(given, list):  # checkboxes of a multi-select: each option read by the type
        return [item for text in given for item in kind.parse(str(text), context)]
    return given


def _too_long(asked: FormField, given: Answer) -> str:
    texts = given if isinstance(given, list) else [given]
    if sum(len(str(text)) for text in texts) <= asked.longest:
        return ""
    return ngettext(
        "{label} is too long: at most {count} character.",
        "{label} is too long: at most {count} characters.",
        asked.longest,
    ).format(label=asked.label, count=counted(asked.longest))
