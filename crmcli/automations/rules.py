"""Automation rules (`automations.yaml`): read, validated against the workspace, evaluated.

This module only decides: which rules exist, whether one applies to a record or an event,
and what the message variables are. Doing — sending, writing records, remembering what was
sent — is `automation_run`'s job, so `crm check` and `--dry-run` share every decision with
the real run.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from crmcli.core.loader import AUTOMATIONS_FILE, WORKSPACE_FILE
from crmcli.core.model import DERIVED_NAMES, Project, Record, RecordEvent, Workspace
from crmcli.core.problems import ProblemLog, did_you_mean
from crmcli.engine.compute import Engine
from crmcli.engine.present import Presenter
from crmcli.engine.scope import RecordScope
from crmcli.engine.types import ExpressionError
from crmcli.errors import UsageError
from crmcli.fields.context import FieldContext
from crmcli.fields.formatting import Formatter
from crmcli.fields.registry import field_type
from crmcli.formulas.compiler import Expression, compile_expression
from crmcli.formulas.functions import FUNCTIONS
from crmcli.formulas.types import infer_type
from crmcli.formulas.values import NUMBER, FormulaError
from crmcli.git.timeline import Timeline
from crmcli.i18n import _

TRIGGERS = ("created", "moved", "changed", "schedule")
ACTIONS = ("assign", "notify", "set", "tag", "move")
STRATEGIES = ("round_robin", "least_loaded")
HELPERS = {"days_in_list": NUMBER, "days_since_update": NUMBER}
TEMPLATE_VARIABLES = frozenset(
    {
        "record",
        "formatted",
        "rule",
        "project",
        "days_in_list",
        "days_since_update",
        "from_list",
        "to_list",
        "changed",
        "path",
        "link",
        "recipient",
        "assignee",
        "moment",
    }
)
MOVE_VARIABLES = frozenset({"from_list", "to_list"})
DEFAULT_MESSAGE = "{{ rule }}: {{ record.name }}"
_REPEAT = re.compile(r"^\s*([1-9][0-9]*)\s*(hour|day|week|month)s?\s*$")
_UNIT_HOURS = {"hour": 1, "day": 24, "week": 24 * 7, "month": 24 * 30}
KeyPath = tuple[Any, ...]


# the rules, as data


@dataclass(frozen=True, slots=True)
class Notify:
    targets: tuple[str, ...]  # "assignee", a member id, or "channel:NAME"
    message: Any  # compiled templates
    subject: Any


@dataclass(frozen=True, slots=True)
class Route:
    when: Expression
    members: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Assign:
    strategy: str
    weights: Mapping[str, int]  # candidate → weight, in the rule's order
    criteria: tuple[tuple[str, Expression], ...] = ()  # member attribute → record value
    routes: tuple[Route, ...] = ()
    overwrite: bool = False


@dataclass(frozen=True, slots=True)
class SetFields:
    values: Mapping[str, str]  # field → value as typed (read by field type when applied)


@dataclass(frozen=True, slots=True)
class Tag:
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Move:
    list_name: str


Action = Notify | Assign | SetFields | Tag | Move


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

    def matches(self, event: RecordEvent) -> bool:
        """Whether an event triggers this rule (before its condition)."""
        if self.trigger != event.kind or self.project.key != event.project:
            return False
        if self.to_lists and event.to_list not in self.to_lists:
            return False
        if self.from_lists and event.from_list not in self.from_lists:
            return False
        return not self.fields or bool(self.fields & set(event.fields))


# reading and validating


def read_rules(workspace: Workspace, engine: Engine, log: ProblemLog) -> list[Rule]:
    """The valid, enabled rules; every problem found goes to `log` at its line."""
    file = workspace.config_files.get(AUTOMATIONS_FILE)
    if file is None or not isinstance(file.data, dict):
        return []
    raw_rules = file.data.get("rules")
    if not isinstance(raw_rules, list):
        return []
    reader = _RuleReader(workspace, engine, log)
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


class _RuleReader:
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

    def rule(self, index: int, raw: dict[str, Any]) -> Rule | None:
        self.broken = False
        where: KeyPath = ("rules", index)
        name = str(raw.get("name") or _("rule {n}").format(n=index + 1))
        trigger = raw.get("on")
        if trigger not in TRIGGERS:
            self.problem(
                (*where, "on"),
                "unknown-trigger",
                _("rule “{rule}”: unknown trigger “{on}”; use one of {triggers}{hint}").format(
                    rule=name,
                    on=trigger,
                    triggers=", ".join(TRIGGERS),
                    hint=did_you_mean(str(trigger), TRIGGERS),
                ),
            )
        project = self._project(where, name, raw.get("project"))
        if project is None or trigger not in TRIGGERS:
            return None
        when = self._condition((*where, "when"), name, project, raw.get("when"))
        actions = self._actions(where, name, project, trigger, raw.get("do"))
        rule = Rule(
            name=name,
            trigger=trigger,
            project=project,
            actions=tuple(actions),
            when=when,
            to_lists=self._lists((*where, "to"), name, project, raw.get("to")),
            from_lists=self._lists((*where, "from"), name, project, raw.get("from")),
            fields=self._fields((*where, "fields"), name, project, raw.get("fields")),
            repeat=self._repeat((*where, "repeat"), name, raw.get("repeat")),
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

    def _condition(
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

    def _lists(self, where: KeyPath, name: str, project: Project, raw: Any) -> frozenset[str]:
        names = _strings(raw)
        for position, list_name in enumerate(names):
            if list_name not in project.lists:
                self.problem(
                    (*where, position) if isinstance(raw, list) else where,
                    "unknown-list",
                    _("rule “{rule}”: “{list}” is not a list of {project}{hint}").format(
                        rule=name,
                        list=list_name,
                        project=project.name,
                        hint=did_you_mean(list_name, project.lists),
                    ),
                )
        return frozenset(names)

    def _fields(self, where: KeyPath, name: str, project: Project, raw: Any) -> frozenset[str]:
        names = _strings(raw)
        for position, key in enumerate(names):
            self._known_field(
                (*where, position) if isinstance(raw, list) else where, name, project, key
            )
        return frozenset(names)

    def _known_field(self, where: KeyPath, name: str, project: Project, key: str) -> bool:
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

    # actions

    def _actions(
        self, where: KeyPath, name: str, project: Project, trigger: Any, raw: Any
    ) -> list[Action]:
        actions: list[Action] = []
        for index, item in enumerate(raw if isinstance(raw, list) else []):
            at = (*where, "do", index)
            kinds = [key for key in ACTIONS if isinstance(item, dict) and key in item]
            if not kinds:
                unknown = next(iter(item), "") if isinstance(item, dict) else item
                self.problem(
                    at,
                    "unknown-action",
                    _(
                        "rule “{rule}”: unknown action “{action}”; use one of {actions}{hint}"
                    ).format(
                        rule=name,
                        action=unknown,
                        actions=", ".join(ACTIONS),
                        hint=did_you_mean(str(unknown), ACTIONS),
                    ),
                )
                continue
            reader = getattr(self, "_" + kinds[0])
            action = reader((*at, kinds[0]), name, project, item, trigger)
            if action is not None:
                actions.append(action)
        return actions

    def _notify(
        self, at: KeyPath, name: str, project: Project, item: dict[str, Any], trigger: Any
    ) -> Notify | None:
        targets = _strings(item.get("notify"))
        raw = item.get("notify")
        config = self.workspace.config
        for position, target in enumerate(targets):
            place = (*at, position) if isinstance(raw, list) else at
            if target == "assignee":
                if "assignee" not in project.fields:
                    self.problem(
                        place,
                        "unknown-field",
                        _("rule “{rule}”: {project} has no assignee field").format(
                            rule=name, project=project.name
                        ),
                    )
            elif target.startswith("channel:"):
                channel = target.removeprefix("channel:")
                if channel not in config.channels:
                    self.problem(
                        place,
                        "unknown-channel",
                        _(
                            "rule “{rule}”: there is no channel “{channel}” in crm.yaml{hint}"
                        ).format(
                            rule=name, channel=channel, hint=did_you_mean(channel, config.channels)
                        ),
                    )
            elif target not in config.members:
                self.problem(place, "unknown-member", self._no_member(name, target))
            elif not config.members[target].notify:
                self.problem(
                    place,
                    "no-notify-url",
                    _(
                        "rule “{rule}”: member “{member}” has no notify URL in crm.yaml, so nothing can reach them"
                    ).format(rule=name, member=target),
                    warning=True,
                )
        base = at[:-1]
        message = self._template((*base, "message"), name, project, trigger, item.get("message"))
        subject = self._template((*base, "subject"), name, project, trigger, item.get("subject"))
        return Notify(tuple(targets), message, subject)

    def _no_member(self, name: str, member: str) -> str:
        return _("rule “{rule}”: “{member}” is not a member in crm.yaml{hint}").format(
            rule=name, member=member, hint=did_you_mean(member, self.workspace.config.members)
        )

    def _template(
        self, where: KeyPath, name: str, project: Project, trigger: Any, source: Any
    ) -> Any:
        from crmcli.automations.notify import MessageTemplateError, compile_template, template_names

        text = DEFAULT_MESSAGE if source is None else str(source)
        try:
            template = compile_template(text)
        except MessageTemplateError as problem:
            line = (
                _(" (line {n} of the template)").format(n=problem.line) if problem.line > 1 else ""
            )
            self.problem(
                where,
                problem.code,
                _("rule “{rule}”: {message}{line}").format(
                    rule=name, message=problem.message, line=line
                ),
            )
            return None
        names = template_names(text)
        from crmcli.automations.notify import _environment

        known = TEMPLATE_VARIABLES | set(_environment().globals)
        for variable in sorted(names.variables):
            if variable not in known or (variable in MOVE_VARIABLES and trigger != "moved"):
                reason = _(" (only rules on: moved have it)") if variable in MOVE_VARIABLES else ""
                self.problem(
                    where,
                    "template-unknown-name",
                    _(
                        "rule “{rule}”: the template uses “{name}”, which messages do not have{reason}{hint}"
                    ).format(
                        rule=name,
                        name=variable,
                        reason=reason,
                        hint=did_you_mean(variable, TEMPLATE_VARIABLES),
                    ),
                )
        for variable, attribute in sorted(names.attributes):
            if variable in ("record", "formatted") and attribute not in DERIVED_NAMES:
                self._known_field(where, name, project, attribute)
        return template

    def _assign(
        self, at: KeyPath, name: str, project: Project, item: dict[str, Any], trigger: Any
    ) -> Assign | None:
        spec = item.get("assign") if isinstance(item.get("assign"), dict) else {}
        if "assignee" not in project.fields:
            self.problem(
                at,
                "unknown-field",
                _("rule “{rule}”: {project} has no assignee field").format(
                    rule=name, project=project.name
                ),
            )
            return None
        raw_among = spec.get("among")
        if isinstance(raw_among, dict):
            weights = {str(k): v for k, v in raw_among.items()}
        else:
            weights = dict.fromkeys(_strings(raw_among) or self.workspace.config.members, 1)
        for member, weight in weights.items():
            place = (*at, "among", member) if isinstance(raw_among, dict) else (*at, "among")
            if member not in self.workspace.config.members:
                self.problem(place, "unknown-member", self._no_member(name, member))
            if not (isinstance(weight, int) and not isinstance(weight, bool) and weight >= 0):
                self.problem(
                    place,
                    "bad-weight",
                    _(
                        "rule “{rule}”: the weight of {member} must be a whole number (0 or more)"
                    ).format(rule=name, member=member),
                )
        criteria = []
        for attribute, source in (spec.get("by") or {}).items():
            expression = self._condition((*at, "by", attribute), name, project, source)
            if expression is not None:
                criteria.append((str(attribute), expression))
                self._member_attribute((*at, "by", attribute), name, str(attribute))
        routes = []
        for index, route in enumerate(spec.get("routes") or []):
            if not isinstance(route, dict):
                continue
            expression = self._condition(
                (*at, "routes", index, "when"), name, project, route.get("when")
            )
            members = _strings(route.get("to"))
            for member in members:
                if member not in self.workspace.config.members:
                    self.problem(
                        (*at, "routes", index, "to"),
                        "unknown-member",
                        self._no_member(name, member),
                    )
            if expression is not None:
                routes.append(Route(expression, tuple(members)))
        strategy = str(spec.get("strategy", "round_robin"))
        if strategy not in STRATEGIES:
            self.problem(
                (*at, "strategy"),
                "unknown-strategy",
                _(
                    "rule “{rule}”: unknown strategy “{strategy}”; use one of {choices}{hint}"
                ).format(
                    rule=name,
                    strategy=strategy,
                    choices=", ".join(STRATEGIES),
                    hint=did_you_mean(strategy, STRATEGIES),
                ),
            )
        return Assign(
            strategy, weights, tuple(criteria), tuple(routes), spec.get("overwrite") is True
        )

    def _member_attribute(self, where: KeyPath, name: str, attribute: str) -> None:
        members = self.workspace.config.members.values()
        if not any(member_attribute(m, attribute) is not None for m in members):
            self.problem(
                where,
                "unknown-member-attribute",
                _(
                    "rule “{rule}”: no member has a “{attribute}” in crm.yaml, so no one would match"
                ).format(rule=name, attribute=attribute),
                warning=True,
            )

    def _set(
        self, at: KeyPath, name: str, project: Project, item: dict[str, Any], trigger: Any
    ) -> SetFields | None:
        values = {}
        context = FieldContext(self.workspace, project, self.today)
        for key, value in (item.get("set") or {}).items():
            key = str(key)
            if not self._known_field((*at, key), name, project, key):
                continue
            text = value_text(value)
            if key == "list":
                self.problem(
                    (*at, key),
                    "use-move",
                    _(
                        "rule “{rule}”: use the move action to change the list, so that the history records it"
                    ).format(rule=name),
                )
                continue
            try:
                field_type(project.fields[key]).parse(text, context)
            except UsageError as error:
                self.problem(
                    (*at, key),
                    "bad-value",
                    _("rule “{rule}”: {message}").format(rule=name, message=error.message),
                )
                continue
            values[key] = text
        return SetFields(values)

    def _tag(
        self, at: KeyPath, name: str, project: Project, item: dict[str, Any], trigger: Any
    ) -> Tag | None:
        raw = item.get("tag")
        add, remove = (
            (_strings(raw.get("add")), _strings(raw.get("remove")))
            if isinstance(raw, dict)
            else (_strings(raw), [])
        )
        for tag in (*add, *remove):
            if tag not in project.tags:
                self.problem(
                    at,
                    "unknown-tag",
                    _("rule “{rule}”: “{tag}” is not a tag of {project}{hint}").format(
                        rule=name,
                        tag=tag,
                        project=project.name,
                        hint=did_you_mean(tag, project.tags),
                    ),
                )
        return Tag(tuple(add), tuple(remove))

    def _move(
        self, at: KeyPath, name: str, project: Project, item: dict[str, Any], trigger: Any
    ) -> Move | None:
        target = str(item.get("move"))
        self._lists(at, name, project, target)
        return Move(target)


def check_notification_settings(workspace: Workspace, log: ProblemLog) -> None:
    """Notification URLs that apprise cannot use, and a state file outside the workspace."""
    config = workspace.config
    places: list[tuple[KeyPath, str]] = [
        (("members", member.id, "notify", index), url)
        for member in config.members.values()
        for index, url in enumerate(member.notify)
    ]
    places += [(("channels", name), url) for name, url in config.channels.items()]
    if places:
        from crmcli.automations.notify import url_problem

        for key_path, url in places:
            problem = url_problem(url)
            if problem:
                log.add(WORKSPACE_FILE, key_path, "bad-notify-url", problem)
    state_file = config.state_file
    if isinstance(state_file, str) and not _inside(workspace, state_file):
        log.add(
            WORKSPACE_FILE,
            ("state_file",),
            "state-file-outside",
            _("state_file must be a path inside the workspace, such as automations-state.jsonl"),
        )


def _inside(workspace: Workspace, relative: str) -> bool:
    root = workspace.root.resolve()
    return (root / relative).resolve().is_relative_to(root) and not relative.startswith("/")


def _strings(raw: Any) -> list[str]:
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, list):
        return [str(item) for item in raw if item is not None]
    return []


def value_text(value: Any) -> str:
    """A value written in automations.yaml as the text a person would type for it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list):
        return ",".join(value_text(item) for item in value)
    return str(value)


def member_attribute(member: Any, attribute: str) -> Any:
    """A member's attribute for `assign: {by: …}`: region, role… or any key in crm.yaml."""
    value = member.extra.get(attribute) if member.extra else None
    return value if value is not None else getattr(member, attribute, None)


# conditions


def compile_condition(engine: Engine, project: Project, source: str) -> Expression:
    """A condition over a project's fields plus the helpers; ExpressionError if it is wrong."""
    try:
        expression = compile_expression(source, FUNCTIONS)
    except FormulaError as error:
        raise ExpressionError(error.code, error.message) from None
    for path in sorted(set(expression.paths) | {(name,) for name in expression.names}):
        if not _is_helper(project, path):
            engine.resolve_path(project, path)

    def type_of(path: tuple[str, ...]) -> str:
        if _is_helper(project, path):
            return HELPERS[path[0]]
        return engine.type_of_path(project, path)

    try:
        infer_type(expression, type_of, FUNCTIONS)
    except FormulaError as error:
        raise ExpressionError(error.code, error.message) from None
    return expression


def _is_helper(project: Project, path: tuple[str, ...]) -> bool:
    return len(path) == 1 and path[0] in HELPERS and path[0] not in project.fields


class RuleScope:
    """What a condition or a message sees for one record at one moment: fields (computed
    ones too, computed on demand by the engine) and the helpers."""

    def __init__(
        self,
        engine: Engine,
        project: Project,
        record: Record,
        moment: datetime,
        times: Timeline,
    ) -> None:
        self.engine = engine
        self.project = project
        self.record = record
        self.moment = moment
        self.today = moment.date()
        self.times = times
        self._fields = RecordScope(engine, project, record)

    def focus(self, record: Record) -> None:
        """Read another record of the same project (one scope serves a whole project)."""
        self.record = record
        self._fields.record = record

    def get(self, name: str) -> Any:
        if name in HELPERS and name not in self.project.fields:
            return self.days_in_list() if name == "days_in_list" else self.days_since_update()
        return self._fields.get(name)

    def path(self, names: tuple[str, ...]) -> Any:
        return self._fields.path(names)

    def days_in_list(self) -> int:
        return self.times.days_in_list(self.record, self.moment)

    def days_since_update(self) -> int:
        return self.times.days_since_update(self.record, self.moment)


# events


def event_id(event: RecordEvent, record: Record, moved_at: datetime | None, fallback: str) -> str:
    """Names one event the same way whether `crm move` saw it happen or `crm automate` read
    it from git later, so that it is handled once: by the record's own stamps (`created`,
    the history entry of the move) and the new values of the changed fields."""
    if event.kind == "created":
        created = record.data.get("created")
        return "created@" + (created.isoformat() if isinstance(created, datetime) else fallback)
    if event.kind == "moved":
        moment = moved_at.isoformat() if moved_at else fallback
        return f"moved:{event.from_list or ''}→{event.to_list or ''}@{moment}"
    values = {key: record.data.get(key) for key in sorted(event.fields)}
    text = json.dumps(values, sort_keys=True, default=str, ensure_ascii=False)
    return "changed:" + ",".join(values) + "=" + hashlib.sha1(text.encode()).hexdigest()[:12]


def history_moment(record: Record, list_name: str | None) -> datetime | None:
    """The moment of the record's last history entry, when it is the entry into list_name."""
    history = record.data.get("history")
    if not isinstance(history, list) or not history or not isinstance(history[-1], dict):
        return None
    entry = history[-1]
    at = entry.get("at")
    return at if entry.get("list") == list_name and isinstance(at, datetime) else None


# message variables


class RecordView(Mapping[str, Any]):
    """A record as templates see it: `record.amount`, computed and derived fields included;
    a field hidden from whoever reads the message reads as “(hidden)”."""

    def __init__(
        self,
        scope: RuleScope,
        presenter: Presenter | None = None,
        hidden: frozenset[str] = frozenset(),
    ) -> None:
        self._scope = scope
        self._presenter = presenter
        self._hidden = hidden

    def __getitem__(self, key: str) -> Any:
        project = self._scope.project
        if key not in project.fields and key not in DERIVED_NAMES:
            raise KeyError(key)
        if f"{project.key}.{key}" in self._hidden:
            return _("(hidden)")
        value = self._scope.get(key)
        return value if self._presenter is None else self._presenter.value(project, key, value)

    def __iter__(self) -> Iterator[str]:
        return iter([*self._scope.project.fields, *DERIVED_NAMES])

    def __len__(self) -> int:
        return len(self._scope.project.fields) + len(DERIVED_NAMES)


@dataclass(slots=True)
class MessageContext:
    """Variables of a message beyond the record's: the event and who receives it."""

    rule: str
    event: RecordEvent | None = None
    recipient: str | None = None


def message_variables(
    scope: RuleScope,
    formatter: Formatter,
    context: MessageContext,
    link: str | None,
    hidden: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """What a message template may read; `hidden` are the fields its readers may not see."""
    members = scope.engine.workspace.config.members
    record = scope.record
    assignee = members.get(str(record.data.get("assignee")))
    recipient = members.get(context.recipient or "")
    event = context.event
    return {
        "record": RecordView(scope, hidden=hidden),
        "formatted": RecordView(
            scope, Presenter(scope.engine.workspace, scope.engine, formatter), hidden
        ),
        "rule": context.rule,
        "project": scope.project.name,
        "days_in_list": scope.days_in_list(),
        "days_since_update": scope.days_since_update(),
        "from_list": event.from_list if event else None,
        "to_list": event.to_list if event else None,
        "changed": list(event.fields) if event and event.kind == "changed" else [],
        "path": record.path,
        "link": link.format(path=record.path, id=record.id, project=scope.project.key)
        if link
        else record.path,
        "recipient": recipient.name if recipient else context.recipient,
        "assignee": assignee.name if assignee else None,
        "moment": formatter.moment(scope.moment),
    }
