"""Automation rules (`automations.yaml`): the rule as data, read and checked against the
workspace at the lines of the file.

Reading only decides which rules exist and what they say; their actions are read by
`actions`, their conditions compiled by `conditions`, their messages checked by `messages`.
Doing — sending, writing records, remembering what was sent — is the `runner`'s job, so
`crm check` and `--dry-run` share every decision with the real run.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from crmcli.automations.actions import Action, check_recipient, read_actions, strings
from crmcli.automations.conditions import compile_condition
from crmcli.core.layout import AUTOMATIONS_FILE
from crmcli.core.model import Project, RecordEvent, Workspace
from crmcli.core.problems import ProblemLog, did_you_mean
from crmcli.engine.compute import Engine
from crmcli.engine.types import ExpressionError
from crmcli.formulas.compiler import Expression
from crmcli.i18n import _
from crmcli.i18n.lists import or_list

TRIGGERS = ("created", "moved", "changed", "schedule")
_REPEAT = re.compile(r"^\s*([1-9][0-9]*)\s*(hour|day|week|month)s?\s*$")
_UNIT_HOURS = {"hour": 1, "day": 24, "week": 24 * 7, "month": 24 * 30}
KeyPath = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    trigger: str
    project: Project
    actions: tuple[Action, ...]
    when: Expression | None = None
    to_lists: frozenset[str] = frozenset()
    from_lists: frozenset[str] = frozenset()
    fields: frozenset[str] = frozenset()
    repeat: timedelta | None = None
    fallback: tuple[str, ...] = ()  # who `notify: assignee` reaches when there is no assignee

    def matches(self, event: RecordEvent) -> bool:
        """Whether an event triggers this rule (before its condition)."""
        if self.trigger != event.kind or self.project.key != event.project:
            return False
        if self.to_lists and event.to_list not in self.to_lists:
            return False
        if self.from_lists and event.from_list not in self.from_lists:
            return False
        return not self.fields or bool(self.fields & set(event.fields))


def read_rules(workspace: Workspace, engine: Engine, log: ProblemLog) -> list[Rule]:
    """The valid, enabled rules; every problem found goes to `log` at its line."""
    file = workspace.config_files.get(AUTOMATIONS_FILE)
    if file is None or not isinstance(file.data, dict):
        return []
    raw_rules = file.data.get("rules")
    if not isinstance(raw_rules, list):
        return []
    reader = RuleReader(workspace, engine, log)
    rules, names = [], set()
    for index, raw in enumerate(raw_rules):
        if not isinstance(raw, dict):
            continue
        name = raw.get("name")
        if isinstance(name, str) and name in names:
            reader.problem(
                ("rules", index, "name"),
                "duplicate-rule",
                _(
                    "two rules are named “{name}”: what a rule sent is remembered by its name, so names must differ"
                ).format(name=name),
            )
        names.add(name)
        rule = reader.rule(index, raw)
        if rule is not None and raw.get("enabled", True) is not False:
            rules.append(rule)
    return rules


class RuleReader:
    """Reads one rule after another, reporting each problem at its place in automations.yaml;
    the checks a rule and its actions share (fields, lists, members, conditions) are here."""

    def __init__(self, workspace: Workspace, engine: Engine, log: ProblemLog) -> None:
        self.workspace = workspace
        self.engine = engine
        self.log = log
        self.broken = False
        self.today = engine.today

    def problem(self, key_path: KeyPath, code: str, message: str, warning: bool = False) -> None:
        if warning:
            self.log.warn(AUTOMATIONS_FILE, key_path, code, message)
            return
        self.broken = True
        self.log.add(AUTOMATIONS_FILE, key_path, code, message)

    def unknown(
        self,
        where: KeyPath,
        code: str,
        message: str,
        name: str,
        value: Any,
        choices: Collection[str],
        **more: str,
    ) -> None:
        """A word that must be one of `choices` (a trigger, an action, a list…) is not; the
        message may name the choices and the `more` it is given."""
        self.problem(
            where,
            code,
            message.format(
                rule=name,
                value=value,
                choices=or_list(choices),
                hint=did_you_mean(str(value), choices),
                **more,
            ),
        )

    def rule(self, index: int, raw: dict[str, Any]) -> Rule | None:
        self.broken = False
        where: KeyPath = ("rules", index)
        name = str(raw.get("name") or _("rule {n}").format(n=index + 1))
        trigger = raw.get("on")
        if trigger not in TRIGGERS:
            self.unknown(
                (*where, "on"),
                "unknown-trigger",
                _("rule “{rule}”: unknown trigger “{value}”; use one of {choices}{hint}"),
                name,
                trigger,
                TRIGGERS,
            )
        project = self._project(where, name, raw.get("project"))
        if project is None or trigger not in TRIGGERS:
            return None
        when = self.condition((*where, "when"), name, project, raw.get("when"))
        actions = read_actions(self, where, name, project, trigger, raw.get("do"))
        rule = Rule(
            name=name,
            trigger=trigger,
            project=project,
            actions=tuple(actions),
            when=when,
            to_lists=self.lists((*where, "to"), name, project, raw.get("to")),
            from_lists=self.lists((*where, "from"), name, project, raw.get("from")),
            fields=self._fields((*where, "fields"), name, project, raw.get("fields")),
            repeat=self._repeat((*where, "repeat"), name, raw.get("repeat")),
            fallback=self._fallback((*where, "fallback"), name, raw.get("fallback")),
        )
        return None if self.broken else rule

    def _project(self, where: KeyPath, name: str, key: Any) -> Project | None:
        project = self.workspace.projects.get(str(key))
        if project is None and key not in self.workspace.unreadable_projects:
            self.problem(
                (*where, "project"),
                "unknown-project",
                _("rule “{rule}”: there is no project “{project}”{hint}").format(
                    rule=name, project=key, hint=did_you_mean(str(key), self.workspace.projects)
                ),
            )
        return project

    def condition(
        self, where: KeyPath, name: str, project: Project, source: Any
    ) -> Expression | None:
        if source is None:
            return None
        try:
            return compile_condition(self.engine, project, str(source))
        except ExpressionError as error:
            self.problem(
                where,
                error.code,
                _("rule “{rule}”: when: {message}").format(rule=name, message=error.message),
            )
            return None

    def lists(self, where: KeyPath, name: str, project: Project, raw: Any) -> frozenset[str]:
        names = strings(raw)
        for position, list_name in enumerate(names):
            if list_name not in project.lists:
                self.unknown(
                    (*where, position) if isinstance(raw, list) else where,
                    "unknown-list",
                    _("rule “{rule}”: “{value}” is not a list of {project}{hint}"),
                    name,
                    list_name,
                    project.lists,
                    project=project.name,
                )
        return frozenset(names)

    def _fields(self, where: KeyPath, name: str, project: Project, raw: Any) -> frozenset[str]:
        names = strings(raw)
        for position, key in enumerate(names):
            self.known_field(
                (*where, position) if isinstance(raw, list) else where, name, project, key
            )
        return frozenset(names)

    def known_field(self, where: KeyPath, name: str, project: Project, key: str) -> bool:
        if key in project.fields:
            return True
        self.problem(
            where,
            "unknown-field",
            _("rule “{rule}”: {project} has no field “{field}”{hint}").format(
                rule=name, project=project.name, field=key, hint=did_you_mean(key, project.fields)
            ),
        )
        return False

    def _repeat(self, where: KeyPath, name: str, raw: Any) -> timedelta | None:
        if raw is None:
            return None
        match = _REPEAT.match(str(raw))
        if match is None:
            self.problem(
                where,
                "bad-repeat",
                _(
                    "rule “{rule}”: repeat “{value}” is not a period such as 7 days, 2 weeks, 24 hours or 1 month"
                ).format(rule=name, value=raw),
            )
            return None
        return timedelta(hours=int(match[1]) * _UNIT_HOURS[match[2]])

    def _fallback(self, where: KeyPath, name: str, raw: Any) -> tuple[str, ...]:
        """Members (ids) and channels (channel:NAME) for a record without an assignee."""
        names = strings(raw)
        for position, target in enumerate(names):
            place = (*where, position) if isinstance(raw, list) else where
            if target == "assignee":
                self.problem(
                    place,
                    "bad-fallback",
                    _(
                        "rule “{rule}”: fallback: is who is notified when there is no assignee, "
                        "so it names members or channels, not the assignee"
                    ).format(rule=name),
                )
            else:
                check_recipient(self, place, name, target)
        return tuple(names)

    def no_member(self, name: str, member: str) -> str:
        return _("rule “{rule}”: “{member}” is not a member in crm.yaml{hint}").format(
            rule=name, member=member, hint=did_you_mean(member, self.workspace.config.members)
        )
