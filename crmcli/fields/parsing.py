"""Values typed at a terminal (`--set amount="12 000,50"`) parsed by field type.

Numbers and money are read in the workspace locale and in plain/English notation; dates as
ISO or the locale's short form; references by id or by exact name. A value that cannot be
read raises UsageError naming the field.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from crmcli.core.model import FieldDef, Project, Workspace
from crmcli.core.problems import did_you_mean
from crmcli.errors import UsageError
from crmcli.i18n import _

_PLAIN_NUMBER = re.compile(r"^[-+]?\d+(?:\.\d+)?$")
_CURRENCY_MARKS = re.compile(r"[€$£₽¥]|\b[A-Z]{3}\b|руб\.?|р\.", re.IGNORECASE)
_TRUE = {"true", "yes", "y", "1", "oui", "vrai", "да"}
_FALSE = {"false", "no", "n", "0", "non", "faux", "нет"}


@dataclass(frozen=True, slots=True)
class ParseContext:
    workspace: Workspace
    project: Project
    today: date
    references: Mapping[str, ReferenceIndex] | None = None  # by field key, for imports

    @property
    def locale(self) -> str:
        return self.workspace.config.locale


def _fail(field: FieldDef, text: str, expected: str) -> UsageError:
    return UsageError(
        _("{label}: cannot read “{text}” as {expected}").format(
            label=field.label, text=text, expected=expected
        )
    )


def parse_number(text: str, locale: str) -> Decimal | None:
    """'12 000,50 €', '12,000.50', '12000' → Decimal; None when it is no number."""
    from babel.numbers import NumberFormatError, parse_decimal

    compact = re.sub(r"\s", "", _CURRENCY_MARKS.sub("", text))
    if _PLAIN_NUMBER.match(compact):
        return Decimal(compact)
    for candidate in (locale, "en_US"):
        try:
            return parse_decimal(compact, locale=candidate, strict=True)
        except (NumberFormatError, InvalidOperation, ValueError):
            continue
    return None


def _number(field: FieldDef, text: str, context: ParseContext) -> Any:
    number = parse_number(text, context.locale)
    if number is None:
        raise _fail(field, text, _("a number (12000, 12 000,50 or 12,000.50)"))
    return int(number) if number == number.to_integral_value() else float(number)


def parse_day(text: str, locale: str, today: date) -> date | None:
    """ISO, the locale's short form (31/12/2024 in fr_FR), or today/tomorrow/yesterday."""
    from babel.dates import parse_date

    words = {
        "today": 0,
        "tomorrow": 1,
        "yesterday": -1,
        "aujourd'hui": 0,
        "demain": 1,
        "сегодня": 0,
        "завтра": 1,
    }
    lowered = text.strip().casefold()
    if lowered in words:
        return today + timedelta(days=words[lowered])
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        pass
    try:
        return parse_date(text.strip(), locale=locale)
    except (ValueError, IndexError):
        return None


def _date(field: FieldDef, text: str, context: ParseContext) -> Any:
    day = parse_day(text, context.locale, context.today)
    if day is None:
        raise _fail(field, text, _("a date (YYYY-MM-DD or your locale's short form)"))
    return day


def _datetime(field: FieldDef, text: str, context: ParseContext) -> Any:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise _fail(field, text, _("a date and time (2025-08-20T16:40)")) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(context.workspace.config.timezone))
    return moment


def _checkbox(field: FieldDef, text: str, context: ParseContext) -> Any:
    lowered = text.strip().casefold()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise _fail(field, text, _("yes or no"))


def _rating(field: FieldDef, text: str, context: ParseContext) -> Any:
    top = field.rating_max
    if text.strip().isdigit() and 1 <= int(text) <= top:
        return int(text)
    raise _fail(field, text, _("a rating from 1 to {top}").format(top=top))


def match_option(field: FieldDef, text: str, options: tuple[str, ...]) -> str:
    """The declared option the user meant, matched case-insensitively."""
    wanted = text.strip()
    for option in options:
        if option == wanted:
            return option
    folded = [option for option in options if option.casefold() == wanted.casefold()]
    if len(folded) == 1:
        return folded[0]
    raise UsageError(
        _("{label}: “{text}” is not one of {options}{hint}").format(
            label=field.label,
            text=text,
            options=", ".join(options),
            hint=did_you_mean(wanted, options),
        )
    )


def split_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _select(field: FieldDef, text: str, context: ParseContext) -> Any:
    return match_option(field, text, field.options)


def _multi_select(field: FieldDef, text: str, context: ParseContext) -> Any:
    return [match_option(field, part, field.options) for part in split_list(text)]


def _list(field: FieldDef, text: str, context: ParseContext) -> Any:
    return match_option(field, text, tuple(context.project.lists))


def _tags(field: FieldDef, text: str, context: ParseContext) -> Any:
    return [match_option(field, part, context.project.tags) for part in split_list(text)]


def _member(field: FieldDef, text: str, context: ParseContext) -> Any:
    return resolve_member(context.workspace, text, field.label)


def resolve_member(workspace: Workspace, text: str, label: str) -> str:
    """A member by id, e-mail or full name (case-insensitive)."""
    wanted = text.strip().casefold()
    for member in workspace.config.members.values():
        if wanted in (
            member.id.casefold(),
            (member.email or "").casefold(),
            member.name.casefold(),
        ):
            return member.id
    raise UsageError(
        _("{label}: “{text}” is not a member of the workspace{hint}").format(
            label=label, text=text, hint=did_you_mean(text, workspace.config.members)
        )
    )


def _reference(field: FieldDef, text: str, context: ParseContext) -> Any:
    target = context.workspace.projects.get(field.target_project or "")
    if target is None:
        raise UsageError(
            _("{label}: the schema's target project does not exist").format(label=field.label)
        )
    parts = split_list(text) if field.multiple else [text.strip()]
    index = context.references.get(field.key) if context.references else None
    if index is not None:
        ids = [index.resolve(part, field.label) for part in parts]
    else:
        ids = [resolve_reference(target, part, field.label) for part in parts]
    return ids if field.multiple else ids[0]


def resolve_reference(target: Project, text: str, label: str) -> str:
    """A record of `target` by id, or by exact name (case-insensitive) when no id matches."""
    if text in target.records:
        return text
    from slugify import slugify

    wanted = text.casefold()
    guess = slugify(text)
    if guess and guess in target.records and target.records[guess].name.casefold() == wanted:
        # the fast path: the record whose id is the name's slug, plus the -2, -3… that
        # `crm add` gives to more records of the same name (so a duplicate name is not
        # silently resolved to the first one)
        matches, suffix = [guess], 2
        while f"{guess}-{suffix}" in target.records:
            if target.records[f"{guess}-{suffix}"].name.casefold() == wanted:
                matches.append(f"{guess}-{suffix}")
            suffix += 1
    else:
        matches = [r.id for r in target.records.values() if r.name.casefold() == wanted]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise _ambiguous(target, "name", text, label, matches)
    raise _no_such(target, text, label, did_you_mean(text, target.records))


def _ambiguous(target: Project, key: str, text: str, label: str, ids: list[str]) -> UsageError:
    if key == "name":
        message = _("{label}: several {records} are named “{text}”: {ids}; give the id")
    else:
        message = _("{label}: several {records} have {key} “{text}”: {ids}; give the id")
    return UsageError(
        message.format(
            label=label, records=target.name, key=key, text=text, ids=", ".join(sorted(ids))
        )
    )


def _no_such(target: Project, text: str, label: str, hint: str) -> UsageError:
    return UsageError(
        _("{label}: no {record} “{text}” in {project}{hint}").format(
            label=label, record=target.record_name, text=text, project=target.name, hint=hint
        )
    )


class ReferenceIndex:
    """The records of a project by id and by one of their fields (the name unless said
    otherwise), built once so that resolving 100,000 references costs 100,000 dict look-ups.
    Matching ignores case and surrounding spaces; by name, an id matches first."""

    MAX_HINTS = 50  # “did you mean” compares with every id: only for the first few misses

    def __init__(self, target: Project, key: str = "name") -> None:
        self.target = target
        self.key = key
        self._ids = set(target.records) if key == "name" else set()
        self._by_value: dict[str, list[str]] = {}
        for record in target.records.values():
            value = (
                record.id if key == "id" else record.name if key == "name" else record.data.get(key)
            )
            if value is not None and value != "":
                self._by_value.setdefault(_folded(value), []).append(record.id)
        self._hints: dict[str, str] = {}

    def matches(self, value: Any) -> list[str]:
        """The ids of the records whose key field holds `value`."""
        return self._by_value.get(_folded(value), [])

    def resolve(self, text: str, label: str) -> str:
        if text in self._ids:
            return text
        matches = self.matches(text)
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise _ambiguous(self.target, self.key, text, label, matches)
        raise _no_such(self.target, text, label, self._hint(text))

    def _hint(self, text: str) -> str:
        if text not in self._hints and len(self._hints) < self.MAX_HINTS:
            names = self._ids if self.key == "name" else self._by_value
            self._hints[text] = did_you_mean(text, names)
        return self._hints.get(text, "")


def _folded(value: Any) -> str:
    return str(value).strip().casefold()


def _text(field: FieldDef, text: str, context: ParseContext) -> Any:
    return text


def _files(field: FieldDef, text: str, context: ParseContext) -> Any:
    return split_list(text)


_PARSERS: dict[str, Callable[[FieldDef, str, ParseContext], Any]] = {
    "text": _text,
    "long_text": _text,
    "email": _text,
    "phone": _text,
    "url": _text,
    "number": _number,
    "currency": _number,
    "percent": _number,
    "date": _date,
    "datetime": _datetime,
    "checkbox": _checkbox,
    "rating": _rating,
    "select": _select,
    "multi_select": _multi_select,
    "files": _files,
    "reference": _reference,
    "list": _list,
    "tags": _tags,
    "member": _member,
}


def parse_value(field: FieldDef, text: str, context: ParseContext) -> Any:
    """The stored value of `text` typed for `field`; UsageError when it cannot be."""
    if field.computed:
        raise UsageError(
            _(
                "{label} is computed ({kind}) and cannot be set; change the fields it comes from"
            ).format(label=field.label, kind=field.type)
        )
    parser = _PARSERS.get(field.type)
    if parser is None:
        raise UsageError(_("{label} cannot be set from the command line").format(label=field.label))
    return parser(field, text, context)
