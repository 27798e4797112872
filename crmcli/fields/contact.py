"""Ways to reach someone: `email`, `phone` and `url`. Typed in as they are written."""

from __future__ import annotations

import functools
from typing import Any, ClassVar

from crmcli.fields.base import NO_ISSUES, Issue, describe
from crmcli.fields.context import FieldContext
from crmcli.fields.text import Text
from crmcli.i18n import _


@functools.lru_cache(maxsize=65536)
def email_problem(value: str) -> str | None:
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError as error:
        return str(error)
    return None


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


class Contact(Text):
    """Text of a known shape: anything but text is the wrong type, text of another shape
    is one issue saying why."""

    __slots__ = ()
    code: ClassVar[str]

    def validate(self, value: Any, context: FieldContext) -> list[Issue]:
        if not isinstance(value, str):
            return self.wrong(value, self.expected(), self.quote_hint())
        reason = self.problem(value, context)
        if reason is None:
            return NO_ISSUES
        message = self.invalid().format(
            label=self.field.label, value=describe(value), reason=reason
        )
        return [Issue(self.code, message)]

    def expected(self) -> str:
        raise NotImplementedError

    def quote_hint(self) -> str:
        return ""

    def problem(self, value: str, context: FieldContext) -> str | None:
        """Why `value` has not the shape; None when it has."""
        raise NotImplementedError

    def invalid(self) -> str:
        """The message for text of another shape, with {label}, {value} and {reason}."""
        raise NotImplementedError


class Email(Contact):
    __slots__ = ()
    code = "invalid-email"

    def expected(self) -> str:
        return _("an e-mail address")

    def problem(self, value: str, context: FieldContext) -> str | None:
        return email_problem(value)

    def invalid(self) -> str:
        return _("{label} {value} is not a valid e-mail address: {reason}")


class Phone(Contact):
    __slots__ = ()
    code = "invalid-phone"

    def expected(self) -> str:
        return _("a phone number")

    def quote_hint(self) -> str:
        return " " + _("(put phone numbers in quotes)")

    def problem(self, value: str, context: FieldContext) -> str | None:
        return phone_problem(value, self.field.phone_region or context.phone_region)

    def invalid(self) -> str:
        return _("{label} {value} is not a valid phone number: {reason}")


class Url(Contact):
    __slots__ = ()
    code = "invalid-url"

    def expected(self) -> str:
        return _("a web address")

    def problem(self, value: str, context: FieldContext) -> str | None:
        import validators

        if validators.url(value, simple_host=True):
            return None
        return " " + _("(start it with https://)") if "://" not in value else ""

    def invalid(self) -> str:
        return _("{label} {value} is not a valid web address{reason}")
