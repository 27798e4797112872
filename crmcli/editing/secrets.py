"""`crm secrets enable` and `crm secrets rotate`: every hidden value sealed with a new data key.

Both make a new data key, wrap it for every member who may read hidden fields and has a public
key, and rewrite each record file whose hidden values are plain (enable) or sealed with the old
key (rotate), together with the key file, as one journaled write: all of them or none. Rotating
needs the old key, since values are opened before they are sealed again; a value that does not
open stops the command before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crmcli.core.loader import Loader
from crmcli.core.model import Member, Project, Workspace
from crmcli.editing.atomic import PendingWrite, current_sha
from crmcli.editing.journal import write_all
from crmcli.editing.lock import workspace_lock
from crmcli.editing.writer import RecordFile
from crmcli.engine.reader import role_of
from crmcli.errors import CrmError
from crmcli.i18n import _
from crmcli.secrets.cipher import DataKey, SealError, is_sealed
from crmcli.secrets.identity import recipient
from crmcli.secrets.keyfile import KEY_FILE, write_key_file
from crmcli.secrets.sealing import Sealing


@dataclass(slots=True)
class Sealed:
    """What enable or rotate did."""

    values: int = 0
    files: int = 0
    holders: list[str] = field(default_factory=list)  # the members the key is wrapped for
    without_key: list[str] = field(default_factory=list)  # may read hidden fields, no key yet


def key_holders(workspace: Workspace) -> tuple[dict[str, Member], list[str]]:
    """Members who may see every hidden field: those with a public key, and the others' ids."""
    fields = workspace.sealing.fields
    holders, without = {}, []
    for member in workspace.config.members.values():
        role = role_of(workspace, member)
        if role is not None and role.hidden & fields:
            continue
        if member.age:
            holders[member.id] = member
        else:
            without.append(member.id)
    return holders, without


def enable(root: Path) -> Sealed:
    with workspace_lock(root):
        workspace = Loader(root).load(lazy=True)
        if workspace.sealing.enabled:
            raise CrmError(
                _(
                    "Hidden fields are already encrypted ({file} exists); use crm secrets "
                    "rotate for a new key, crm fmt to encrypt values written in plain text."
                ).format(file=KEY_FILE)
            )
        return _reseal(root, workspace, old=None)


def rotate(root: Path) -> Sealed:
    with workspace_lock(root):
        workspace = Loader(root).load(lazy=True)
        old = workspace.sealing
        if not old.enabled or old.key() is None:
            raise CrmError(_("Rotating the key needs the current one.") + " " + old.why_no_key())
        return _reseal(root, workspace, old)


def _reseal(root: Path, workspace: Workspace, old: Sealing | None) -> Sealed:
    holders, without = key_holders(workspace)
    if not holders:
        raise CrmError(
            _(
                "No member who may see hidden fields has a public key in crm.yaml, so no one "
                "could read them; run crm keys init and add the line it prints. Nothing was "
                "written."
            )
        )
    recipients = {member_id: _recipient(member) for member_id, member in holders.items()}
    key = DataKey.generate()
    text = write_key_file(key, recipients)
    done = Sealed(holders=sorted(holders), without_key=without)
    writes = [PendingWrite(root / KEY_FILE, text, current_sha(root / KEY_FILE))]
    for project in workspace.projects.values():
        keys = [
            k
            for k, f in project.fields.items()
            if not f.computed and workspace.sealing.covers(project.key, k)
        ]
        if keys:
            for record_id in list(project.records):
                write = _reseal_file(root, project, record_id, keys, key, old, done)
                if write is not None:
                    writes.append(write)
    write_all(root, writes)
    return done


def _reseal_file(
    root: Path,
    project: Project,
    record_id: str,
    keys: list[str],
    key: DataKey,
    old: Sealing | None,
    done: Sealed,
) -> PendingWrite | None:
    relative = f"{project.key}/{record_id}.yaml"
    try:
        document = RecordFile.open(root / relative, relative)
    except CrmError:
        return None  # crm check says why it cannot be read; it holds nothing we could seal
    changed = 0
    for name in keys:
        value = document.get(name)
        if value is None or value == "":
            continue
        place = f"{project.key}.{name}"
        document.set(name, key.seal(_opened(old, place, value, relative), place))
        changed += 1
    if not changed:
        return None
    done.values += changed
    done.files += 1
    return PendingWrite(document.path, document.render(), document.original_sha)


def _opened(old: Sealing | None, place: str, value: Any, relative: str) -> Any:
    if not is_sealed(value):
        return value
    try:
        if old is None:
            raise SealError("no-key-file")
        return old.open(place, value)
    except SealError as error:
        raise CrmError(
            _(
                "{file}: the value of {field} cannot be opened with the current key (it is "
                "damaged, or was encrypted with another key); nothing was written."
            ).format(file=relative, field=place)
        ) from error


def _recipient(member: Member) -> Any:
    try:
        return recipient(member.age or "")
    except ValueError as error:
        raise CrmError(
            _(
                "The public key of {member} in crm.yaml is neither an age key (age1…) nor an "
                "ssh-ed25519 key; nothing was written."
            ).format(member=member.id)
        ) from error
