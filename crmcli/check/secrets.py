"""`crm check` on who holds the key to hidden fields: a member whose role may see them but who
has no public key (`age:`), or whose key the key file was not wrapped for, cannot read them.

Said as warnings at the member in crm.yaml, on every check, so the gap is seen before that
member needs a value (not only when `crm secrets enable` or `rotate` runs).
"""

from __future__ import annotations

from crmcli.core.layout import WORKSPACE_FILE
from crmcli.editing.secrets import key_holders
from crmcli.engine.check_context import Check, CheckContext
from crmcli.errors import Severity
from crmcli.i18n import _
from crmcli.secrets.keyfile import KEY_FILE


def check_key_holders(context: CheckContext) -> None:
    sealing = context.workspace.sealing
    key_file = sealing.key_file() if sealing.enabled else None
    if key_file is None:
        return  # not enabled, or the key file's own problem is reported by the loader
    holders, without = key_holders(context.workspace)
    members = context.workspace.config.members
    for member_id in without:
        context.log.add(
            WORKSPACE_FILE,
            ("members", member_id),
            "member-without-key",
            _(
                "{member} may see the hidden fields but has no public key, so they cannot read "
                "them: add their age: key (crm keys init prints it), then run crm secrets rotate."
            ).format(member=members[member_id].name),
            Severity.WARNING,
        )
    for member_id in sorted(set(holders) - set(key_file.wrapped)):
        context.log.add(
            WORKSPACE_FILE,
            ("members", member_id, "age"),
            "member-not-in-key-file",
            _(
                "{member} may see the hidden fields but {file} holds no copy of the key for "
                "them, so they cannot read them: run crm secrets rotate."
            ).format(member=members[member_id].name, file=KEY_FILE),
            Severity.WARNING,
        )


CHECKS: tuple[Check, ...] = (check_key_holders,)
