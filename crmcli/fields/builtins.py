"""The built-in fields of every record whose types no schema declares: `list` (the stage),
`tags`, `member` (the assignee), `checklist`, `dependencies` (depends_on) and `history`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from crmcli.core.model import Workspace
from crmcli.core.problems import did_you_mean
from crmcli.errors import InvalidValueError
from crmcli.fields.base import NO_ISSUES, FieldType, Issue, describe
from crmcli.fields.choices import match_option, split_list
from crmcli.fields.context import FieldContext
from crmcli.i18n import _
from crmcli.i18n.lists import value_list


class Stage(FieldType):
    """`list`: one of the project's lists."""

    __slots__ = ()
    formula_type = "text"

    def validate(self, value: Any, context: FieldContext) -> list[Issue]:
        project = context.project
        if isinstance(value, str) and value in project.lists:
            return NO_ISSUES
        names = tuple(project.lists)
        return [
            Issue(
                "unknown-list",
                _("list {value} is not a list of {project} ({lists}){hint}").format(
                    value=describe(value),
                    project=project.name,
                    lists=value_list(names),
                    hint=did_you_mean(str(value), names),
                ),
            )
        ]

    def parse(self, text: str, context: FieldContext) -> Any:
        return match_option(self.field, text, tuple(context.project.lists))


class Tags(FieldType):
    """`tags`: some of the tags the project declares."""

    __slots__ = ()
    formula_type = "list"

    def validate(self, value: Any, context: FieldContext) -> list[Issue]:
        if not isinstance(value, list):
            return self.not_a_list(value, _("a list of tags"))
        project = context.project
        return [
            Issue(
                "unknown-tag",
                _("tag {value} is not declared in {project} ({tags}){hint}").format(
                    value=describe(tag),
                    project=project.name,
                    tags=value_list(project.tags) or "—",
                    hint=did_you_mean(str(tag), project.tags),
                ),
                (index,),
            )
            for index, tag in enumerate(value)
            if not isinstance(tag, str) or tag not in project.tags
        ]

    def parse(self, text: str, context: FieldContext) -> Any:
        tags = context.project.tags
        return [match_option(self.field, part, tags) for part in split_list(text)]


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
    raise InvalidValueError(
        _("{label}: “{text}” is not a member of the workspace{hint}").format(
            label=label, text=text, hint=did_you_mean(text, workspace.config.members)
        )
    )


class Assignee(FieldType):
    """`member`: a member of the workspace, typed by id, e-mail or name."""

    __slots__ = ()
    formula_type = "text"

    def validate(self, value: Any, context: FieldContext) -> list[Issue]:
        members = context.members
        if isinstance(value, str) and value in members:
            return NO_ISSUES
        return [
            Issue(
                "unknown-member",
                _("{label} {value} is not a member of the workspace{hint}").format(
                    label=self.field.label,
                    value=describe(value),
                    hint=did_you_mean(str(value), members),
                ),
            )
        ]

    def parse(self, text: str, context: FieldContext) -> Any:
        return resolve_member(context.workspace, text, self.field.label)


class Checklist(FieldType):
    __slots__ = ()
    formula_type = "list"

    def validate(self, value: Any, context: FieldContext) -> list[Issue]:
        if not isinstance(value, list):
            return self.wrong(value, _("a list of items"))
        return [
            Issue(
                "bad-checklist-item",
                _("checklist item {value} must be text or {{item: …, done: true/false}}").format(
                    value=describe(item)
                ),
                (index,),
            )
            for index, item in enumerate(value)
            if not _is_checklist_item(item)
        ]


def _is_checklist_item(item: Any) -> bool:
    return isinstance(item, str) or (
        isinstance(item, dict)
        and isinstance(item.get("item"), str)
        and isinstance(item.get("done", False), bool)
        and set(item) <= {"item", "done"}
    )


class Dependencies(FieldType):
    """`depends_on`: records of this project by id, or of another as project/id."""

    __slots__ = ()
    formula_type = "list"
    reads_records = True

    def validate(self, value: Any, context: FieldContext) -> list[Issue]:
        if not isinstance(value, list):
            return self.wrong(value, _("a list of record ids"))
        issues = []
        for index, item in enumerate(value):
            target_project, _slash, target_id = str(item).rpartition("/")
            target = context.projects.get(target_project) if target_project else context.project
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


_HISTORY_KEYS = frozenset({"list", "at", "by", "note"})


class History(FieldType):
    """`history`: the moves between lists, oldest first, written by `crm move`."""

    __slots__ = ()
    formula_type = "list"

    def validate(self, value: Any, context: FieldContext) -> list[Issue]:
        if not isinstance(value, list):
            return self.wrong(value, _("a list of {list: …, at: …, by: …} entries"))
        issues: list[Issue] = []
        previous: float | None = None  # the timestamp of the last entry with a date and time
        members = context.members
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
            else:
                moment_at = moment.timestamp()
                if previous is not None and moment_at < previous:
                    issues.append(
                        Issue(
                            "history-order",
                            _("history entries are not in chronological order"),
                            (index,),
                        )
                    )
                previous = moment_at
            if entry.get("by") not in members or not _HISTORY_KEYS.issuperset(entry):
                issues.extend(_entry_issues(entry, index, context))
        return issues


def _entry_issues(entry: dict[Any, Any], index: int, context: FieldContext) -> list[Issue]:
    """An entry's author who is no member, and its unknown keys."""
    issues = []
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
