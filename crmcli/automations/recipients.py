"""Who a `notify` action reaches: members and channels by name, the record's assignee — or,
for a record without one, the rule's `fallback:` members and channels. A notification that
reaches nobody is said so in the run's report (`undelivered`), never dropped in silence."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from crmcli.automations.outcomes import SKIPPED, UNDELIVERED
from crmcli.core.model import Record, WorkspaceConfig
from crmcli.i18n import _

if TYPE_CHECKING:
    from crmcli.automations.actions import Notify
    from crmcli.automations.rules import Rule


@dataclass(frozen=True, slots=True)
class Recipient:
    key: str  # how the state remembers it: a member id or channel:NAME
    member: str | None  # the member, whose role decides which fields the message shows
    urls: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Unreached:
    target: str
    status: str  # SKIPPED (a member without a notify URL) or UNDELIVERED (nobody to ask)
    reason: str


def recipients(
    config: WorkspaceConfig, rule: Rule, action: Notify, record: Record
) -> tuple[list[Recipient], list[Unreached]]:
    """The recipients of one notify action for one record (each once), and who it cannot reach."""
    found: dict[str, Recipient] = {}
    unreached: list[Unreached] = []
    for target in action.targets:
        for outcome in _resolve(config, rule, target, record):
            if isinstance(outcome, Unreached):
                unreached.append(outcome)
            else:
                found.setdefault(outcome.key, outcome)
    return list(found.values()), unreached


def _resolve(
    config: WorkspaceConfig, rule: Rule, target: str, record: Record
) -> list[Recipient | Unreached]:
    if target != "assignee":
        return [_named(config, target)]
    assignee = record.data.get("assignee")
    if assignee and str(assignee) in config.members:
        return [_named(config, str(assignee))]
    if rule.fallback:
        return [_named(config, name) for name in rule.fallback]
    return [Unreached(target, UNDELIVERED, _("no assignee and no fallback: in automations.yaml"))]


def _named(config: WorkspaceConfig, target: str) -> Recipient | Unreached:
    """A channel:NAME or a member id (the rules were checked against crm.yaml)."""
    if target.startswith("channel:"):
        return Recipient(target, None, (config.channels[target.removeprefix("channel:")],))
    member = config.members[target]
    if not member.notify:
        reason = _("{member} has no notify URL in crm.yaml").format(member=member.name)
        return Unreached(member.id, SKIPPED, reason)
    return Recipient(member.id, member.id, member.notify)
