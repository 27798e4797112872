"""The canonical key order of a record file: built-in fields, the project's own fields, then
next_step, created/updated/history/activities. `crm add` writes it, `crm set` and the merge driver insert new keys
in it, `crm fmt` restores it."""

from __future__ import annotations

from crmcli.core.model import Project

_LEADING_BUILTINS = (
    "name",
    "list",
    "tags",
    "assignee",
    "due",
    "description",
    "checklist",
    "depends_on",
)
_TRAILING_BUILTINS = ("next_step", "created", "updated", "history", "activities")


def canonical_keys(project: Project) -> list[str]:
    """The key order of a record file, as `crm add` writes it and `crm fmt` restores it."""
    custom = [key for key, f in project.fields.items() if not f.builtin and not f.computed]
    return [*_LEADING_BUILTINS, *custom, *_TRAILING_BUILTINS]


def keys_before(project: Project, key: str) -> list[str]:
    """The keys a new `key` should follow in a file, in canonical order."""
    keys = canonical_keys(project)
    return keys[: keys.index(key)] if key in keys else keys
