"""What the index keeps of a record besides its data: the references it makes (the reverse
references `crm show` lists as "referred to by") and the documents its `files` fields name
(their state is part of what `crm check` says of it)."""

from __future__ import annotations

from crmcli.core.model import Project, Record
from crmcli.fields.references import reference_ids
from crmcli.index.store import Reference

ReferenceField = tuple[int, str, str]  # its position among the fields, its key, its project


def reference_fields(project: Project, hidden: frozenset[str]) -> list[ReferenceField]:
    """The fields whose references the index keeps (show's "referred to by"): those of a sealed
    field are left out, as they name what only a key holder may know. Found once per project:
    a save asks for every record's."""
    return [
        (position, definition.key, definition.target_project)
        for position, definition in enumerate(project.fields.values())
        if definition.type == "reference"
        and definition.target_project
        and f"{project.key}.{definition.key}" not in hidden
    ]


def references(fields: list[ReferenceField], record: Record) -> list[Reference]:
    """The reverse references the index keeps of one record, through `fields`."""
    return [
        Reference(record.path, position, key, target_project, target)
        for position, key, target_project in fields
        for target in dict.fromkeys(reference_ids(record.data.get(key)))
    ]


def document_fields(project: Project) -> list[str]:
    return [d.key for d in project.fields.values() if d.type == "files"]


def documents(fields: list[str], record: Record) -> list[str]:
    """The paths a record's `files` fields name."""
    found: list[str] = []
    for key in fields:
        value = record.data.get(key)
        if isinstance(value, list):
            found.extend(item for item in value if isinstance(item, str))
    return found
