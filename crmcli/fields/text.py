"""Text fields: `text` (one line) and `long_text`."""

from __future__ import annotations

from typing import Any

from crmcli.fields.base import NO_ISSUES, FieldType, Issue, is_number
from crmcli.fields.context import FieldContext
from crmcli.i18n import _


class Text(FieldType):
    __slots__ = ()
    formula_type = "text"

    def validate(self, value: Any, context: FieldContext) -> list[Issue]:
        if isinstance(value, str):
            limit = self.field.max_length
            if limit is not None and len(value) > limit:
                return [
                    Issue(
                        "too-long",
                        _(
                            "{label} is {length} characters long; at most {limit} are allowed"
                        ).format(label=self.field.label, length=len(value), limit=limit),
                    )
                ]
            return NO_ISSUES
        if is_number(value):
            return NO_ISSUES  # `zip: 75001` reads as a number; as text it means the same
        if isinstance(value, bool):
            return self.wrong(
                value,
                _("text"),
                " " + _("(YAML reads an unquoted true or false as a yes/no value: quote it)"),
            )
        return self.wrong(value, _("text"))

    def parse(self, text: str, context: FieldContext) -> Any:
        return text


class LongText(Text):
    __slots__ = ()
