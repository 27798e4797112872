"""Who is acting, what they may see, and what time it is for them.

Every reading command asks `identify_reader` once: the acting member (--as, $CRM_USER, git
user.email) gives a role, and the role's hidden fields, closed over the computed fields derived
from them, are what that command leaves out. `--role` may only narrow that view.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from crmcli.core.model import FieldDef, Member, Project, Role, Workspace
from crmcli.core.problems import did_you_mean
from crmcli.errors import CrmError, InvalidValueError, Problem, UsageError
from crmcli.fields.builtins import resolve_member
from crmcli.i18n import _
from crmcli.i18n.lists import and_list, value_list

if TYPE_CHECKING:
    from crmcli.engine.compute import Engine

NOW_VARIABLE = "CRM_NOW"


@dataclass(frozen=True, slots=True)
class Reader:
    """The member reading, the role they read with, and the fields ("project.field") hidden
    from them, computed fields derived from hidden ones included."""

    member: Member | None = None
    role: Role | None = None
    hidden: frozenset[str] = frozenset()

    def may_see(self, project_key: str, name: str) -> bool:
        return f"{project_key}.{name}" not in self.hidden

    def visible_fields(self, project: Project) -> list[FieldDef]:
        """The fields this reader may see, in schema order."""
        return [f for f in project.fields.values() if self.may_see(project.key, f.key)]

    def screen(self, problems: Iterable[Problem]) -> list[Problem]:
        """The problems as this reader may read them: one about a field hidden from them keeps
        its code and place, but not its message, which may quote the hidden value."""
        return [
            replace(p, message=_("The value of a field you may not see is invalid."))
            if p.field is not None and p.field in self.hidden
            else p
            for p in problems
        ]

    def refuse_hidden(self, project: Project, names: Sequence[str], prefix: str = "") -> None:
        """UsageError when the reader asks for fields hidden from them."""
        hidden = [name for name in names if not self.may_see(project.key, name)]
        if hidden:
            raise UsageError(
                prefix
                + _("hidden from the {role} role: {fields}").format(
                    role=self.role.name if self.role else "",
                    fields=value_list(f"{project.key}.{name}" for name in hidden),
                )
            )


def identify_reader(
    workspace: Workspace,
    engines: Engine | Iterable[Engine],
    acting_as: str | None = None,
    role_name: str | None = None,
) -> Reader:
    """The reader of a command: the acting member's role, or the narrower `role_name`.

    `engines` close the hidden set over derived fields (a diff passes both sides' engines)."""
    return reader_for(workspace, identify_actor(workspace, acting_as), engines, role_name)


def reader_for(
    workspace: Workspace,
    member: Member | None,
    engines: Engine | Iterable[Engine] = (),
    role_name: str | None = None,
) -> Reader:
    """The reader a known member is (a message's recipient, an editor's actor); without an
    engine, the hidden set is the role's own list."""
    role = role_of(workspace, member)
    if role_name is not None:
        role = _narrower(workspace, member, role, role_name)
    if role is None or not role.hidden:
        return Reader(member, role)
    from crmcli.engine.compute import Engine

    closed: frozenset[str] = frozenset()
    for engine in [engines] if isinstance(engines, Engine) else engines:
        closed |= engine.hidden_closure(role.hidden)
    return Reader(member, role, closed or role.hidden)


def _narrower(
    workspace: Workspace, member: Member | None, own: Role | None, role_name: str
) -> Role:
    """The role asked for with --role, provided it hides at least what the member's own hides."""
    roles = workspace.config.roles
    asked = roles.get(role_name)
    if asked is None:
        raise UsageError(
            _("--role: no role “{role}” in crm.yaml (roles: {roles}){hint}").format(
                role=role_name, roles=value_list(roles), hint=did_you_mean(role_name, roles)
            )
        )
    unseen = sorted(own.hidden - asked.hidden) if own is not None else []
    if unseen:
        raise CrmError(
            _(
                "--role {role}: {member} reads with the {own} role, which may not see "
                "{fields}; --role can only narrow what you may see."
            ).format(
                role=role_name,
                member=member.name if member else _("you"),
                own=own.name if own else "",
                fields=and_list(unseen),
            )
        )
    return asked


notices = logging.getLogger(__name__)  # under "crmcli", the logger the CLI writes out


def identify_actor(workspace: Workspace, acting_as: str | None) -> Member | None:
    """The member acting: --as, else $CRM_USER, else git's user.email matched to a member.

    Nobody matched in a workspace with roles reads and edits with the most restricted rights,
    and is told so: an unknown identity must never widen what a member could see."""
    members = workspace.config.members
    chosen = acting_as or os.environ.get("CRM_USER")
    if chosen:
        try:
            return members[resolve_member(workspace, chosen, _("--as"))]
        except InvalidValueError as error:  # an option of the command, not a field's value
            raise UsageError(error.message) from None
    from crmcli.git.run import config_value

    email = config_value(workspace.root, "user.email")
    if email:
        for member in members.values():
            if member.email and member.email.casefold() == email.casefold():
                return member
    if workspace.config.roles:
        notices.warning(
            _(
                "warning: you ({email}) are not a member of this workspace, so you read and "
                "edit with the most restricted rights of its roles."
            ).format(email=email or _("no git user.email"))
        )
    return None


def role_of(workspace: Workspace, member: Member | None) -> Role | None:
    """The role `member` acts with; it fails closed. In a workspace with roles, a non-member,
    a member without a role or with one crm.yaml does not define gets the most restricted
    rights (every role's hidden and read-only fields); without roles, everyone sees all."""
    roles = workspace.config.roles
    if not roles:
        return None
    known = roles.get(member.role) if member is not None and member.role else None
    return known or most_restricted(roles.values())


def most_restricted(roles: Iterable[Role]) -> Role:
    """The union of the roles' restrictions: what an unknown reader gets."""
    roles = list(roles)
    return Role(
        name=_("most restricted"),
        hidden=frozenset().union(*(role.hidden for role in roles)),
        read_only=frozenset().union(*(role.read_only for role in roles)),
    )


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
