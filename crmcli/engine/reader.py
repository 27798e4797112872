"""Who is acting, and what time it is for them."""

from __future__ import annotations

import os
from datetime import datetime
from zoneinfo import ZoneInfo

from crmcli.core.model import Member, Role, Workspace
from crmcli.errors import UsageError
from crmcli.fields.builtins import resolve_member
from crmcli.i18n import _

NOW_VARIABLE = "CRM_NOW"


def identify_actor(workspace: Workspace, acting_as: str | None) -> Member | None:
    """The member acting: --as, else $CRM_USER, else git's user.email matched to a member."""
    members = workspace.config.members
    chosen = acting_as or os.environ.get("CRM_USER")
    if chosen:
        return members[resolve_member(workspace, chosen, _("--as"))]
    from crmcli.git.run import config_value

    email = config_value(workspace.root, "user.email")
    if email:
        for member in members.values():
            if member.email and member.email.casefold() == email.casefold():
                return member
    return None


def role_of(workspace: Workspace, member: Member | None) -> Role | None:
    if member is None or member.role is None:
        return None
    return workspace.config.roles.get(member.role)


def workspace_now(workspace: Workspace) -> datetime:
    """Now in the workspace time zone, to the second; $CRM_NOW (ISO) replays another moment."""
    zone = ZoneInfo(workspace.config.timezone)
    override = os.environ.get(NOW_VARIABLE)
    if override:
        try:
            moment = datetime.fromisoformat(override)
        except ValueError:
            raise UsageError(
                _("${name} is not a date and time: {value}").format(
                    name=NOW_VARIABLE, value=override
                )
            ) from None
        return moment.astimezone(zone) if moment.tzinfo else moment.replace(tzinfo=zone)
    return datetime.now(zone).replace(microsecond=0)
