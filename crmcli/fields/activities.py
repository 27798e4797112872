"""The built-in fields of a salesperson's day: `activities` (what happened: calls, e-mails,
meetings, notes, oldest first, appended by `crm note` and `crm done`) and `next_step` (what is
to be done next, by when and by whom, set by `crm next`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from crmcli.core.problems import did_you_mean
from crmcli.fields.base import FieldType, Issue, describe
from crmcli.fields.context import FieldContext
from crmcli.i18n import _
from crmcli.i18n.lists import or_list

ACTIVITY_TYPES = ("call", "email", "meeting", "note")
_ACTIVITY_KEYS = frozenset({"type", "at", "by", "text"})
_NEXT_STEP_KEYS = frozenset({"what", "due", "by"})


class Activities(FieldType):
    """`activities`: [{type, at, by, text}], oldest first."""

    __slots__ = ()
    formula_type = "list"

    def validate(self, value: Any, context: FieldContext) -> list[Issue]:
        if not isinstance(value, list):
            return self.wrong(value, _("a list of {type: …, at: …, by: …, text: …} entries"))
        issues: list[Issue] = []
        for index, entry in enumerate(value):
            if not isinstance(entry, dict):
                issues.append(
                    Issue(
                        "bad-activity",
                        _("an activity must be {type: …, at: …, by: …, text: …}"),
                        (index,),
                    )
                )
                continue
            issues.extend(_activity_issues(entry, index, context))
        return issues


def _activity_issues(entry: dict[Any, Any], index: int, context: FieldContext) -> list[Issue]:
    issues = []
    kind = entry.get("type")
    if kind not in ACTIVITY_TYPES:
        issues.append(
            Issue(
                "bad-activity",
                _("activity type {value} is not one of {types}{hint}").format(
                    value=describe(kind),
                    types=or_list(ACTIVITY_TYPES),
                    hint=did_you_mean(str(kind), ACTIVITY_TYPES),
                ),
                (index, "type"),
            )
        )
    if not isinstance(entry.get("at"), datetime):
        issues.append(
            Issue(
                "bad-activity",
                _("activity “at” must be a date and time, not {value}").format(
                    value=describe(entry.get("at"))
                ),
                (index, "at"),
            )
        )
    if not isinstance(entry.get("text", ""), str):
        issues.append(
            Issue(
                "bad-activity",
                _("activity text must be text, not {value}").format(
                    value=describe(entry.get("text"))
                ),
                (index, "text"),
            )
        )
    issues.extend(_member_issues(entry, (index,), context))
    issues.extend(_unknown_keys(entry, _ACTIVITY_KEYS, (index,)))
    return issues


class NextStep(FieldType):
    """`next_step`: {what, due, by}: one step, due on a day, for a member."""

    __slots__ = ()
    formula_type = None

    def validate(self, value: Any, context: FieldContext) -> list[Issue]:
        if not isinstance(value, dict) or not isinstance(value.get("what"), str):
            return self.wrong(value, _("{what: …, due: YYYY-MM-DD, by: member}"))
        issues = []
        due = value.get("due")
        if due is not None and (not isinstance(due, date) or isinstance(due, datetime)):
            issues.append(
                Issue(
                    "bad-next-step",
                    _("the next step's due date must be a date (YYYY-MM-DD), not {value}").format(
                        value=describe(due)
                    ),
                    ("due",),
                )
            )
        issues.extend(_member_issues(value, (), context))
        issues.extend(_unknown_keys(value, _NEXT_STEP_KEYS, ()))
        return issues


def _member_issues(
    entry: dict[Any, Any], at: tuple[int, ...], context: FieldContext
) -> list[Issue]:
    by = entry.get("by")
    if by is None or by in context.members:
        return []
    return [
        Issue(
            "unknown-member",
            _("{value} is not a member of the workspace{hint}").format(
                value=describe(by), hint=did_you_mean(str(by), context.members)
            ),
            (*at, "by"),
        )
    ]


def _unknown_keys(entry: dict[Any, Any], known: frozenset[str], at: tuple[int, ...]) -> list[Issue]:
    return [
        Issue(
            "unknown-field",
            _("unknown key {key}{hint}").format(
                key=describe(key), hint=did_you_mean(str(key), known)
            ),
            (*at, key),
        )
        for key in entry.keys() - known
    ]
