"""The actions of a rule (`do:` in automations.yaml): assign, notify, set, tag and move, as
data, each read and checked against the workspace by the rule's `RuleReader`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from crmcli.automations.messages import read_template
from crmcli.core.model import Project
from crmcli.core.problems import did_you_mean
from crmcli.errors import InvalidValueError
from crmcli.fields.context import FieldContext
from crmcli.fields.registry import field_type
from crmcli.formulas.compiler import Expression
from crmcli.i18n import _

if TYPE_CHECKING:
    from crmcli.automations.rules import KeyPath, RuleReader

ACTIONS = ("assign", "notify", "set", "tag", "move")
STRATEGIES = ("round_robin", "least_loaded")


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


def read_actions(
    reader: RuleReader, where: KeyPath, name: str, project: Project, trigger: Any, raw: Any
) -> list[Action]:
    """The rule's actions that could be read; each problem goes to the reader."""
    actions: list[Action] = []
    for index, item in enumerate(raw if isinstance(raw, list) else []):
        at = (*where, "do", index)
        kinds = [key for key in ACTIONS if isinstance(item, dict) and key in item]
        if not kinds:
            unknown = next(iter(item), "") if isinstance(item, dict) else item
            reader.unknown(
                at,
                "unknown-action",
                _("rule “{rule}”: unknown action “{value}”; use one of {choices}{hint}"),
                name,
                unknown,
                ACTIONS,
            )
            continue
        action = _READERS[kinds[0]](reader, (*at, kinds[0]), name, project, item, trigger)
        if action is not None:
            actions.append(action)
    return actions


def _read_notify(
    reader: RuleReader, at: KeyPath, name: str, project: Project, item: dict[str, Any], trigger: Any
) -> Notify | None:
    targets = strings(item.get("notify"))
    raw = item.get("notify")
    for position, target in enumerate(targets):
        place = (*at, position) if isinstance(raw, list) else at
        if target == "assignee":
            _has_assignee(reader, place, name, project)
        else:
            check_recipient(reader, place, name, target)
    base = at[:-1]
    message = read_template(reader, (*base, "message"), name, project, trigger, item.get("message"))
    subject = read_template(reader, (*base, "subject"), name, project, trigger, item.get("subject"))
    return Notify(tuple(targets), message, subject)


def check_recipient(reader: RuleReader, place: KeyPath, name: str, target: str) -> None:
    """A channel:NAME or a member id that a rule notifies (or falls back to) must exist."""
    config = reader.workspace.config
    if target.startswith("channel:"):
        channel = target.removeprefix("channel:")
        if channel not in config.channels:
            reader.problem(
                place,
                "unknown-channel",
                _("rule “{rule}”: there is no channel “{channel}” in crm.yaml{hint}").format(
                    rule=name, channel=channel, hint=did_you_mean(channel, config.channels)
                ),
            )
    elif target not in config.members:
        reader.problem(place, "unknown-member", reader.no_member(name, target))
    elif not config.members[target].notify:
        reader.problem(
            place,
            "no-notify-url",
            _(
                "rule “{rule}”: member “{member}” has no notify URL in crm.yaml, so nothing can reach them"
            ).format(rule=name, member=target),
            warning=True,
        )


def _read_assign(
    reader: RuleReader, at: KeyPath, name: str, project: Project, item: dict[str, Any], trigger: Any
) -> Assign | None:
    spec = item.get("assign") if isinstance(item.get("assign"), dict) else {}
    if not _has_assignee(reader, at, name, project):
        return None
    raw_among = spec.get("among")
    if isinstance(raw_among, dict):
        weights = {str(k): v for k, v in raw_among.items()}
    else:
        weights = dict.fromkeys(strings(raw_among) or reader.workspace.config.members, 1)
    for member, weight in weights.items():
        place = (*at, "among", member) if isinstance(raw_among, dict) else (*at, "among")
        if member not in reader.workspace.config.members:
            reader.problem(place, "unknown-member", reader.no_member(name, member))
        if not (isinstance(weight, int) and not isinstance(weight, bool) and weight >= 0):
            reader.problem(
                place,
                "bad-weight",
                _(
                    "rule “{rule}”: the weight of {member} must be a whole number (0 or more)"
                ).format(rule=name, member=member),
            )
    criteria = []
    for attribute, source in (spec.get("by") or {}).items():
        expression = reader.condition((*at, "by", attribute), name, project, source)
        if expression is not None:
            criteria.append((str(attribute), expression))
            _check_member_attribute(reader, (*at, "by", attribute), name, str(attribute))
    routes = []
    for index, route in enumerate(spec.get("routes") or []):
        if not isinstance(route, dict):
            continue
        expression = reader.condition(
            (*at, "routes", index, "when"), name, project, route.get("when")
        )
        members = strings(route.get("to"))
        for member in members:
            if member not in reader.workspace.config.members:
                reader.problem(
                    (*at, "routes", index, "to"),
                    "unknown-member",
                    reader.no_member(name, member),
                )
        if expression is not None:
            routes.append(Route(expression, tuple(members)))
    strategy = str(spec.get("strategy", "round_robin"))
    if strategy not in STRATEGIES:
        reader.unknown(
            (*at, "strategy"),
            "unknown-strategy",
            _("rule “{rule}”: unknown strategy “{value}”; use one of {choices}{hint}"),
            name,
            strategy,
            STRATEGIES,
        )
    return Assign(strategy, weights, tuple(criteria), tuple(routes), spec.get("overwrite") is True)


def _has_assignee(reader: RuleReader, where: KeyPath, name: str, project: Project) -> bool:
    """Whether the project has the assignee field that notifying or assigning needs."""
    if "assignee" in project.fields:
        return True
    reader.problem(
        where,
        "unknown-field",
        _("rule “{rule}”: {project} has no assignee field").format(rule=name, project=project.name),
    )
    return False


def _check_member_attribute(reader: RuleReader, where: KeyPath, name: str, attribute: str) -> None:
    members = reader.workspace.config.members.values()
    if not any(member_attribute(m, attribute) is not None for m in members):
        reader.problem(
            where,
            "unknown-member-attribute",
            _(
                "rule “{rule}”: no member has a “{attribute}” in crm.yaml, so no one would match"
            ).format(rule=name, attribute=attribute),
            warning=True,
        )


def _read_set(
    reader: RuleReader, at: KeyPath, name: str, project: Project, item: dict[str, Any], trigger: Any
) -> SetFields | None:
    values = {}
    context = FieldContext(reader.workspace, project, reader.today)
    for key, value in (item.get("set") or {}).items():
        key = str(key)
        if not reader.known_field((*at, key), name, project, key):
            continue
        text = value_text(value)
        if key == "list":
            reader.problem(
                (*at, key),
                "use-move",
                _(
                    "rule “{rule}”: use the move action to change the list, so that the history records it"
                ).format(rule=name),
            )
            continue
        try:
            field_type(project.fields[key]).parse(text, context)
        except InvalidValueError as error:
            reader.problem(
                (*at, key),
                "bad-value",
                _("rule “{rule}”: {message}").format(rule=name, message=error.message),
            )
            continue
        values[key] = text
    return SetFields(values)


def _read_tag(
    reader: RuleReader, at: KeyPath, name: str, project: Project, item: dict[str, Any], trigger: Any
) -> Tag | None:
    raw = item.get("tag")
    add, remove = (
        (strings(raw.get("add")), strings(raw.get("remove")))
        if isinstance(raw, dict)
        else (strings(raw), [])
    )
    for tag in (*add, *remove):
        if tag not in project.tags:
            reader.unknown(
                at,
                "unknown-tag",
                _("rule “{rule}”: “{value}” is not a tag of {project}{hint}"),
                name,
                tag,
                project.tags,
                project=project.name,
            )
    return Tag(tuple(add), tuple(remove))


def _read_move(
    reader: RuleReader, at: KeyPath, name: str, project: Project, item: dict[str, Any], trigger: Any
) -> Move | None:
    target = str(item.get("move"))
    reader.lists(at, name, project, target)
    return Move(target)


_READERS: dict[str, Callable[..., Action | None]] = {
    "assign": _read_assign,
    "notify": _read_notify,
    "set": _read_set,
    "tag": _read_tag,
    "move": _read_move,
}


def strings(raw: Any) -> list[str]:
    """A name or a list of names, as automations.yaml may write either."""
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
