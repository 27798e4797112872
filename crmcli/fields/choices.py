"""Fields whose values come from a declared set: `checkbox`, `select`, `multi_select`.

Typed options match case-insensitively; several are typed separated by commas.
"""

from __future__ import annotations

from typing import Any

from crmcli.core.model import FieldDef
from crmcli.core.problems import did_you_mean
from crmcli.core.text_forms import nfc
from crmcli.core.yamlio import KeyPath
from crmcli.errors import InvalidValueError
from crmcli.fields.base import NO_ISSUES, FieldType, Issue, describe
from crmcli.fields.context import FieldContext
from crmcli.i18n import _
from crmcli.i18n.lists import or_list, value_list

_TRUE = {"true", "yes", "y", "1", "oui", "vrai", "да"}
_FALSE = {"false", "no", "n", "0", "non", "faux", "нет"}


def split_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def match_option(field: FieldDef, text: str, options: tuple[str, ...]) -> str:
    """The declared option the user meant, matched case-insensitively and in any Unicode
    form (options are NFC since the loader read them)."""
    wanted = nfc(text.strip())
    for option in options:
        if option == wanted:
            return option
    folded = [option for option in options if option.casefold() == wanted.casefold()]
    if len(folded) == 1:
        return folded[0]
    raise InvalidValueError(
        _("{label}: “{text}” is not one of {options}{hint}").format(
            label=field.label,
            text=text,
            options=or_list(options),
            hint=did_you_mean(wanted, options),
        )
    )


class Checkbox(FieldType):
    __slots__ = ()
    formula_type = "bool"

    def validate(self, value: Any, context: FieldContext) -> list[Issue]:
        return NO_ISSUES if isinstance(value, bool) else self.wrong(value, _("true or false"))

    def parse(self, text: str, context: FieldContext) -> Any:
        lowered = text.strip().casefold()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise self.unreadable(text, _("yes or no"))


class Select(FieldType):
    __slots__ = ("allowed",)
    formula_type = "text"

    def __init__(self, field: FieldDef) -> None:
        super().__init__(field)
        self.allowed = frozenset(field.options)

    def validate(self, value: Any, context: FieldContext) -> list[Issue]:
        if isinstance(value, list | dict):
            return self.wrong(value, _("a single option"))
        if str(value) not in self.allowed:
            return [self.unknown_option(value)]
        return NO_ISSUES

    def parse(self, text: str, context: FieldContext) -> Any:
        return match_option(self.field, text, self.field.options)

    def unknown_option(self, value: Any, key_path: KeyPath = ()) -> Issue:
        options = self.field.options
        return Issue(
            "unknown-option",
            _("{label} {value} is not one of its options ({options}){hint}").format(
                label=self.field.label,
                value=describe(value),
                options=value_list(options),
                hint=did_you_mean(str(value), options),
            ),
            key_path,
        )


class MultiSelect(Select):
    __slots__ = ()
    formula_type = "list"

    def validate(self, value: Any, context: FieldContext) -> list[Issue]:
        if not isinstance(value, list):
            return self.not_a_list(value, _("a list of options"))
        return [
            self.unknown_option(item, (index,))
            for index, item in enumerate(value)
            if isinstance(item, list | dict) or str(item) not in self.allowed
        ]

    def parse(self, text: str, context: FieldContext) -> Any:
        return [match_option(self.field, part, self.field.options) for part in split_list(text)]
