"""The key file, `keys/data-key.age`: the workspace's data key wrapped for each key holder.

Committed with the workspace (outside the git-ignored `.crm/`), so every clone carries it; only
a member whose age or SSH identity it was wrapped for can unwrap it. It is YAML: the key's id,
then one age ciphertext (base64) per member, so `crm check` can tell who holds the key.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from crmcli.i18n import _
from crmcli.secrets.cipher import KEY_BYTES, DataKey

KEY_FILE = "keys/data-key.age"
_PAYLOAD = b"crm-data-key:v1:"
_HEADER = (
    "# The key to this workspace's hidden fields, wrapped for each member who may read them.\n"
    "# Written by crm secrets enable and crm secrets rotate; see docs/SECRETS.md.\n"
)


class KeyFileError(Exception):
    """The key file cannot be read: the message says why, in a whole sentence."""


@dataclass(frozen=True, slots=True)
class KeyFile:
    key_id: str
    wrapped: dict[str, bytes] = field(default_factory=dict)  # member id → age ciphertext

    def unwrap(self, identities: Iterable[Any]) -> DataKey | None:
        """The data key, if one of `identities` opens a member's copy."""
        import pyrage

        chosen = list(identities)
        if not chosen:
            return None
        for sealed in self.wrapped.values():
            try:
                payload = pyrage.decrypt(sealed, chosen)
            except pyrage.DecryptError:
                continue
            key = _key_from(payload)
            if key is not None and key.id == self.key_id:
                return key
        return None


def read_key_file(text: str) -> KeyFile:
    # Every scalar as text: a key id of twelve hex digits that happen to be decimal ones
    # ("123456789012") must not become an int.
    try:
        data = yaml.load(text, Loader=yaml.BaseLoader)
    except yaml.YAMLError as error:
        raise KeyFileError(_("The key file is not valid YAML.")) from error
    if not isinstance(data, dict) or not isinstance(data.get("key_id"), str):
        raise KeyFileError(_("The key file does not name its key (key_id: is missing)."))
    wrapped = data.get("wrapped")
    copies: dict[str, bytes] = {}
    for member, text_copy in (wrapped if isinstance(wrapped, dict) else {}).items():
        try:
            copies[str(member)] = base64.b64decode(str(text_copy), validate=True)
        except (binascii.Error, ValueError) as error:
            raise KeyFileError(
                _("The copy of the key wrapped for {member} is damaged.").format(member=member)
            ) from error
    return KeyFile(data["key_id"], copies)


def write_key_file(key: DataKey, recipients: Mapping[str, Any]) -> str:
    """The key file's text: `key` wrapped for each member's pyrage recipient."""
    import pyrage

    lines = [_HEADER, f'key_id: "{key.id}"\n', "wrapped:\n"]
    payload = _PAYLOAD + key.id.encode("ascii") + b":" + key.secret
    for member, recipient in sorted(recipients.items()):
        sealed = base64.b64encode(pyrage.encrypt(payload, [recipient])).decode("ascii")
        lines.append(f"  {member}: {sealed}\n")
    return "".join(lines)


def _key_from(payload: bytes) -> DataKey | None:
    if not payload.startswith(_PAYLOAD):
        return None
    key_id, colon, secret = payload[len(_PAYLOAD) :].partition(b":")
    if not colon or len(secret) != KEY_BYTES:
        return None
    return DataKey(key_id.decode("ascii", "replace"), secret)
