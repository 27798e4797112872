"""The checks automations add to `crm check`: the rules of automations.yaml and the members'
notification settings."""

from __future__ import annotations

from crmcli.automations.rules import KeyPath, read_rules
from crmcli.core.layout import WORKSPACE_FILE
from crmcli.core.model import Workspace
from crmcli.core.problems import ProblemLog
from crmcli.engine.check_context import Check, CheckContext
from crmcli.i18n import _


def check_automations(context: CheckContext) -> None:
    read_rules(context.workspace, context.engine, context.log)


def check_notifications(context: CheckContext) -> None:
    check_notification_settings(context.workspace, context.log)


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
            problem = url_problem(url, config.env, workspace.root)
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


CHECKS: tuple[Check, ...] = (check_automations, check_notifications)
