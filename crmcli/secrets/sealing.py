"""Sealing and opening hidden values for one workspace: what the loader and writers call.

The loader opens each sealed value as a record is read (after the index, which keeps values
sealed as the files hold them, so no cache ever holds an opened value); a value that cannot
be opened is left out of the record, so formulas that need it are unknown. Writers seal through
`seal`, which keeps the old ciphertext when the value did not change, so a file changes only
where a value did. The data key is unwrapped once, the first time a value needs it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crmcli.errors import CrmError
from crmcli.i18n import _
from crmcli.secrets.cipher import DataKey, SealError, as_opened, is_sealed
from crmcli.secrets.identity import find_identities
from crmcli.secrets.keyfile import KEY_FILE, KeyFile, KeyFileError, read_key_file


@dataclass(slots=True)
class Sealing:
    """fields: the stored fields ("project.field") some role may not see, which are sealed;
    key_file_text: the key file as read (None: secrets are not enabled)."""

    fields: frozenset[str] = frozenset()
    key_file_text: str | None = None
    locked: int = 0  # values left unknown: no key here opens the data key
    key_file_problem: str | None = None  # why the key file cannot be used
    _key: DataKey | None = None
    _tried: bool = False
    _key_file: KeyFile | None = None
    identities: list[Any] | None = field(default=None, repr=False)  # None: the usual places

    @property
    def enabled(self) -> bool:
        return self.key_file_text is not None

    def covers(self, project_key: str, key: str) -> bool:
        return f"{project_key}.{key}" in self.fields

    def key_file(self) -> KeyFile | None:
        if self._key_file is None and self.key_file_text is not None:
            try:
                self._key_file = read_key_file(self.key_file_text)
            except KeyFileError as error:
                self.key_file_problem = str(error)
        return self._key_file

    def key(self) -> DataKey | None:
        """The data key, if an identity of this member opens it (looked for once)."""
        if not self._tried:
            self._tried = True
            key_file = self.key_file()
            if key_file is not None:
                identities = find_identities() if self.identities is None else self.identities
                self._key = key_file.unwrap(identities)
        return self._key

    def open(self, place: str, text: str) -> Any:
        """The value of a sealed text; SealError: `locked` (no key here), `no-key-file`,
        `damaged`, `other-key`."""
        key = self.key()
        if key is None:
            self.locked += 1
            raise SealError("locked" if self.key_file_text is not None else "no-key-file")
        return key.open(text, place)

    def open_fields(
        self, project_key: str, data: dict[str, Any], sealed: dict[str, str]
    ) -> list[tuple[str, str]]:
        """Open a record's sealed values in place (their ciphertexts go to `sealed`); a value
        that cannot be opened is left out. Gives (field, why) of each value left out
        (`SealError` codes) and of each plain one where values are sealed (`plain`)."""
        found = []
        for name in self.fields:
            owner, _dot, key = name.partition(".")
            if owner != project_key or key not in data:
                continue
            value = data[key]
            if is_sealed(value):
                sealed[key] = value
                try:
                    data[key] = self.open(name, value)
                except SealError as error:
                    del data[key]
                    found.append((key, error.code))
            elif self.enabled and value is not None and value != "":
                found.append((key, "plain"))
        return found

    def seal(self, place: str, value: Any, previous: Any = None) -> Any:
        """The text to write for a hidden value: `previous` (the ciphertext the file holds)
        when it still opens to `value`; empty values stay empty."""
        if value is None or value == "" or is_sealed(value):
            return value
        key = self.key()
        if key is None:
            raise CrmError(self.why_no_key())
        if is_sealed(previous):
            try:
                if key.open(previous, place) == as_opened(value):
                    return previous
            except SealError:
                pass
        return key.seal(value, place)

    def written(self, project_key: str, key: str, value: Any, previous: Any = None) -> Any:
        """A field's value as its file should hold it: sealed when the field is hidden and
        secrets are enabled (or the file already holds it sealed), else as it is."""
        name = f"{project_key}.{key}"
        if name not in self.fields or not (self.enabled or is_sealed(previous)):
            return value
        return self.seal(name, value, previous)

    def why_no_key(self) -> str:
        if self.key_file_text is None:
            return _(
                "Hidden fields are encrypted but {file} is missing; nothing was written."
            ).format(file=KEY_FILE)
        if self.key_file() is None:
            return _("{file} cannot be read: {reason} Nothing was written.").format(
                file=KEY_FILE, reason=self.key_file_problem
            )
        return _(
            "You have no key to this workspace's hidden fields: none of your identities "
            "opens {file}, so hidden values cannot be written; nothing was written."
        ).format(file=KEY_FILE)
