"""What every field type shares: the class each type extends, issues, and how values read in
messages.

A field type is bound to one field of a schema. It validates a stored value (never None) into
a list of issues, empty when the value is fine; parses what a user typed (`crm set`, import);
says how formulas see it; and gives its display text. Messages speak of the field by its
label, in a salesperson's words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar

from crmcli.core.model import FieldDef
from crmcli.core.yamlio import KeyPath
from crmcli.errors import InvalidValueError
from crmcli.i18n import _, quoted

if TYPE_CHECKING:
    from crmcli.fields.context import FieldContext
    from crmcli.fields.formatting import Formatter


@dataclass(frozen=True, slots=True)
class Issue:
    code: str
    message: str
    key_path: KeyPath = ()  # below the field: (2,) for its third item


NO_ISSUES: list[Issue] = []


class FieldType:
    """A field type that stores nothing it can check and cannot be typed in: the behaviour
    of a type the registry does not know (the schema check reports it once)."""

    __slots__ = ("field",)
    formula_type: ClassVar[str | None] = None  # text, number, date, bool, list; None: any
    # Whether validating a value looks at other records: a parse worker, which holds only the
    # files it read, leaves such values to the process that holds the whole workspace.
    reads_records: ClassVar[bool] = False

    def __init__(self, field: FieldDef) -> None:
        self.field = field

    def validate(self, value: Any, context: FieldContext) -> list[Issue]:
        return NO_ISSUES

    def parse(self, text: str, context: FieldContext) -> Any:
        """The stored value of `text`; InvalidValueError naming the field when it cannot be read."""
        raise InvalidValueError(
            _("{label} cannot be set from the command line").format(label=self.field.label)
        )

    def display(self, value: Any, formatter: Formatter) -> str:
        return formatter.value(self.field, value)

    def wrong(self, value: Any, expected: str, hint: str = "") -> list[Issue]:
        return [
            Issue(
                "wrong-type",
                _("{label} must be {expected}, not {value}{hint}").format(
                    label=self.field.label, expected=expected, value=describe(value), hint=hint
                ),
            )
        ]

    def not_a_list(self, value: Any, expected: str) -> list[Issue]:
        return self.wrong(value, expected, " " + _("(write [{value}])").format(value=value))

    def unreadable(self, text: str, expected: str) -> InvalidValueError:
        return InvalidValueError(
            _("{label}: cannot read “{text}” as {expected}").format(
                label=self.field.label, text=text, expected=expected
            )
        )


def is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def describe(value: Any) -> str:
    """A value as a user wrote it, for messages: “12k”, 12000, [a, b]."""
    if isinstance(value, str):
        return quoted(value)
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
