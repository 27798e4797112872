"""The checks automations add to `crm check`: the rules of automations.yaml and the members'
notification settings."""

from __future__ import annotations

from crmcli.automations.rules import check_notification_settings, read_rules
from crmcli.engine.check_context import Check, CheckContext


def check_automations(context: CheckContext) -> None:
    read_rules(context.workspace, context.engine, context.log)
    check_notification_settings(context.workspace, context.log)


CHECKS: tuple[Check, ...] = (check_automations,)
