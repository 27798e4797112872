"""Likely duplicates: a new record with the e-mail or phone of an existing one is flagged,
not silently added twice, and not refused either (the visitor may be a known client).

The flag keeps `crm check` clean: the tag `possible-duplicate` where the schema declares it, and
a note in the record's activities (where the project keeps them) naming the record it resembles."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from crmcli.core.model import Project, Record
from crmcli.core.text_forms import nfc
from crmcli.i18n import _

DUPLICATE_TAG = "possible-duplicate"
CONTACT_TYPES = ("email", "phone")


class ContactIndex:
    """The e-mails and phone numbers of a project's records, compared as people mean them
    (e-mail case aside, a phone number in any spelling of the default region)."""

    def __init__(self, project: Project, region: str | None) -> None:
        self.project = project
        self.region = region
        self.keys = [f.key for f in project.fields.values() if f.type in CONTACT_TYPES]
        self._owners: dict[tuple[str, str], str] = {}

    def add_all(self, records: Iterable[Record]) -> None:
        for record in records:
            self.add(record.id, record.data)

    def add(self, record_id: str, values: Mapping[str, Any]) -> None:
        for key, spelled in self._contacts(values):
            self._owners.setdefault((key, spelled), record_id)

    def owner(self, values: Mapping[str, Any]) -> tuple[str, str] | None:
        """(id of the record with the same contact, label of the field), or None."""
        for key, spelled in self._contacts(values):
            found = self._owners.get((key, spelled))
            if found is not None:
                return found, self.project.fields[key].label
        return None

    def _contacts(self, values: Mapping[str, Any]) -> list[tuple[str, str]]:
        found = []
        for key in self.keys:
            value = values.get(key)
            if isinstance(value, str) and value.strip():
                kind = self.project.fields[key].type
                found.append((kind, _normal(kind, value, self.region)))
        return found


def _normal(kind: str, value: str, region: str | None) -> str:
    if kind == "email":
        return nfc(value.strip()).casefold()
    import phonenumbers

    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return "".join(ch for ch in value if ch.isdigit())
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def flag_duplicate(
    project: Project, values: dict[str, Any], owner: tuple[str, str], at: datetime
) -> None:
    """Mark new values as a likely duplicate of `owner` (record id, field label)."""
    record_id, label = owner
    if DUPLICATE_TAG in project.tags and "tags" in project.fields:
        values["tags"] = [*values.get("tags", []), DUPLICATE_TAG]
    if "activities" in project.fields:
        text = _("Possible duplicate of {ref}: same {field}.").format(
            ref=f"{project.key}/{record_id}", field=label
        )
        values["activities"] = [{"type": "note", "at": at, "text": text}]
