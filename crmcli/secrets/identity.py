"""Whose private key this is: the identities `crm` may decrypt the data key with.

Looked for, in order: `$CRM_IDENTITY` (an age secret key itself, as CI passes a secret, or the
path of an identity file), `~/.config/crm/identity` (what `crm keys init` writes) and the
member's `~/.ssh/id_ed25519` (age reads SSH ed25519 keys). pyrage (age in Rust) does the
cryptography. A key that cannot be read is skipped: reading goes on without it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crmcli.errors import CrmError
from crmcli.i18n import _

IDENTITY_VARIABLE = "CRM_IDENTITY"
AGE_SECRET_PREFIX = "AGE-SECRET-KEY-"


def crm_identity_file() -> Path:
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "crm" / "identity"


def ssh_identity_file() -> Path:
    return Path.home() / ".ssh" / "id_ed25519"


def find_identities() -> list[Any]:
    """Every identity found (pyrage objects), the first places first."""
    found: list[Any] = []
    given = os.environ.get(IDENTITY_VARIABLE, "").strip()
    if given.startswith(AGE_SECRET_PREFIX):
        found.extend(_age_identities(given))
    elif given:
        found.extend(_identities_in(Path(given).expanduser()))
    found.extend(_identities_in(crm_identity_file()))
    found.extend(_identities_in(ssh_identity_file()))
    return found


def _identities_in(path: Path) -> list[Any]:
    try:
        data = path.read_bytes()
    except OSError:
        return []
    if b"OPENSSH PRIVATE KEY" in data:
        import pyrage

        try:
            return [pyrage.ssh.Identity.from_buffer(data)]
        except pyrage.IdentityError:
            return []  # protected by a passphrase, or not ed25519: not ours to ask for
    return _age_identities(data.decode("utf-8", "replace"))


def _age_identities(text: str) -> list[Any]:
    import pyrage

    found = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith(AGE_SECRET_PREFIX):
            try:
                found.append(pyrage.x25519.Identity.from_str(line))
            except pyrage.IdentityError:
                continue
    return found


def recipient(public_key: str) -> Any:
    """The pyrage recipient of an `age1…` or `ssh-ed25519 …` public key; ValueError if neither."""
    import pyrage

    text = public_key.strip()
    try:
        if text.startswith("age1"):
            return pyrage.x25519.Recipient.from_str(text)
        if text.startswith("ssh-ed25519 "):
            return pyrage.ssh.Recipient.from_str(text)
    except pyrage.RecipientError as error:
        raise ValueError(text) from error
    raise ValueError(text)


def is_public_key(text: str) -> bool:
    try:
        recipient(text)
    except ValueError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class NewIdentity:
    path: Path
    public_key: str
    created: bool  # False: the file was there already, its key is reused


def create_identity(path: Path | None = None) -> NewIdentity:
    """An age identity in ~/.config/crm/identity (readable by its owner only); one that is
    there already is kept, never overwritten."""
    import pyrage

    path = path or crm_identity_file()
    existing = _identities_in(path)
    if existing:
        return NewIdentity(path, str(existing[0].to_public()), created=False)
    if path.exists():
        raise CrmError(
            _("{path} exists but holds no age identity; nothing was written.").format(path=path)
        )
    identity = pyrage.x25519.Identity.generate()
    public = str(identity.to_public())
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(f"# public key: {public}\n{identity}\n")
    return NewIdentity(path, public, created=True)
