"""What the index keeps of a record besides its data: the references it makes (the reverse
references `crm show` lists as "referred to by") and the documents its `files` fields name
(their state is part of what `crm check` says of it)."""

from __future__ import annotations

from crmcli.core.model import Project, Record
from crmcli.fields.references import reference_ids
from crmcli.index.store import Reference


def references(project: Project, record: Record, hidden: frozenset[str]) -> list[Reference]:
    """The reverse references the index keeps of one record (show's "referred to by"), but
    those of a sealed field, which name what only a key holder may know."""
    found: list[Reference] = []
    for position, definition in enumerate(project.fields.values()):
        if definition.type != "reference" or not definition.target_project:
            continue
        if f"{project.key}.{definition.key}" in hidden:
            continue
        for target in dict.fromkeys(reference_ids(record.data.get(definition.key))):
            found.append(
                Reference(record.path, position, definition.key, definition.target_project, target)
            )
    return found


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
