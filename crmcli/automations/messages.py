"""Messages of the notify action: the names a template may use, checked when the rule is
read, and their values for one record when it is sent."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from crmcli.automations.conditions import RuleScope
from crmcli.core.model import DERIVED_NAMES, Project, RecordEvent
from crmcli.core.problems import did_you_mean
from crmcli.engine.present import Presenter
from crmcli.fields.formatting import Formatter
from crmcli.i18n import _

if TYPE_CHECKING:
    from crmcli.automations.rules import KeyPath, RuleReader

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


def read_template(
    reader: RuleReader, where: KeyPath, name: str, project: Project, trigger: Any, source: Any
) -> Any:
    """The compiled template of a message or subject; the names it uses that messages do not
    have (or the record's project lacks) are problems of the rule."""
    from crmcli.automations.notify import MessageTemplateError, compile_template, template_names

    text = DEFAULT_MESSAGE if source is None else str(source)
    try:
        template = compile_template(text)
    except MessageTemplateError as problem:
        line = (
            " " + _("(line {n} of the template)").format(n=problem.line) if problem.line > 1 else ""
        )
        reader.problem(
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
            reason = " " + _("(only rules on: moved have it)") if variable in MOVE_VARIABLES else ""
            reader.problem(
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
            reader.known_field(where, name, project, attribute)
    return template


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
