"""One hidden value sealed into a marked text scalar, and opened again.

A sealed value is a plain YAML string, so every YAML tool still parses the file:
`enc:v1:<key id>:<base64 of nonce + AES-256-GCM ciphertext>`. The plaintext is the value as
JSON (dates as ISO text), so a number stays a number. The associated data is the field
(`opportunities.cost`): a ciphertext copied into another field does not open. AES-GCM from
`cryptography` (a maintained implementation, never our own); age only wraps the data key,
because an age header per value would make every file and every cold read several times
heavier (see docs/SECRETS.md).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "enc:v1:"
KEY_BYTES = 32
NONCE_BYTES = 12


def is_sealed(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


class SealError(Exception):
    """A sealed value that does not open: `code` says why (damaged, other-key)."""

    def __init__(self, code: str, key_id: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.key_id = key_id


def sealed_key_id(text: str) -> str:
    """The id of the data key a sealed value was written with ("" when it is malformed)."""
    key_id, colon, _body = text[len(PREFIX) :].partition(":")
    return key_id if colon else ""


@dataclass(frozen=True)
class DataKey:
    """The workspace's data key: 32 random bytes and the id sealed values name it by."""

    id: str
    secret: bytes

    @classmethod
    def generate(cls) -> DataKey:
        return cls(os.urandom(6).hex(), os.urandom(KEY_BYTES))

    @cached_property
    def _aead(self) -> AESGCM:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        return AESGCM(self.secret)

    def seal(self, value: Any, place: str) -> str:
        plain = json.dumps(value, default=_iso_text, ensure_ascii=False).encode("utf-8")
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plain, place.encode("utf-8"))
        body = base64.b64encode(nonce + sealed).decode("ascii")
        return f"{PREFIX}{self.id}:{body}"

    def open(self, text: str, place: str) -> Any:
        """The value a sealed text holds; SealError when it is damaged or another key's."""
        from cryptography.exceptions import InvalidTag

        key_id = sealed_key_id(text)
        if not key_id:
            raise SealError("damaged")
        if key_id != self.id:
            raise SealError("other-key", key_id)
        try:
            raw = base64.b64decode(text.rpartition(":")[2], validate=True)
            plain = self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], place.encode())
            return json.loads(plain)
        except (binascii.Error, ValueError, InvalidTag) as error:
            raise SealError("damaged") from error


def same_but_sealing(old: Any, new: Any) -> bool:
    """Whether two versions of a record's data differ only where values were sealed again: a
    plain value sealed (`crm secrets enable`, `crm fmt`) or a sealed one sealed with another key
    (`crm secrets rotate`). Such a commit is no update of the record. Known without a key, so
    every member dates records alike: an unchanged value keeps its ciphertext under the same
    key, so a new ciphertext under the same key is a change."""
    if not isinstance(old, dict) or not isinstance(new, dict) or old.keys() != new.keys():
        return bool(old == new)
    return all(value == new[key] or _resealed(value, new[key]) for key, value in old.items())


def _resealed(old: Any, new: Any) -> bool:
    return is_sealed(new) and (not is_sealed(old) or sealed_key_id(old) != sealed_key_id(new))


def as_opened(value: Any) -> Any:
    """A value as it reads back once sealed and opened (dates as ISO text, tuples as lists)."""
    return json.loads(json.dumps(value, default=_iso_text, ensure_ascii=False))


def _iso_text(value: Any) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)
