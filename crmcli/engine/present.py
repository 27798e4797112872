"""A value as people read it: the one place that decides.

References read as the target's name (with its id where there is room: `crm show`), members
as their name, money, numbers and dates in the workspace locale (`fields/formatting.Formatter`),
a lookup or rollup as the field it reads. `crm show`, `crm list`, `crm diff`, `crm log`, the git
views, dashboards and messages all ask a `Presenter`; machine formats (JSON, exports) do not.
"""

from __future__ import annotations

from typing import Any

from crmcli.core.model import FieldDef, Project, Record, Workspace
from crmcli.engine.activity import MEMBER_NAMES
from crmcli.engine.compute import Engine
from crmcli.fields.formatting import Formatter
from crmcli.fields.references import reference_ids
from crmcli.i18n import _
from crmcli.i18n.lists import clause_list, value_list


class Presenter:
    def __init__(self, workspace: Workspace, engine: Engine, formatter: Formatter | None = None):
        self.workspace = workspace
        self.engine = engine
        self.formatter = formatter or Formatter.for_workspace(workspace.config)

    def value(self, project: Project, key: str, value: Any, with_id: bool = False) -> str:
        """A field's value; a key the project has no field for (a derived name such as
        `probability`, an unknown key in a file) reads as its value in the locale."""
        definition = project.fields.get(key)
        if definition is not None:
            return self.field_value(project, definition, value, with_id)
        if isinstance(value, dict | list):
            return plain(value)
        if key in MEMBER_NAMES and value is not None:
            return self.member(value)
        return self.formatter.value(None, value)

    def field_value(
        self, project: Project, definition: FieldDef, value: Any, with_id: bool = False
    ) -> str:
        """`definition` is a field of `project`; `with_id` adds each reference's id."""
        if _empty(value):
            return ""
        shown = display_field(self.engine, project, definition)
        if shown.type in ("checklist", "dependencies"):
            return plain(value)
        if shown.type == "reference":
            target = self.workspace.projects.get(shown.target_project or "")
            return value_list(self.record(target, i, with_id) for i in reference_ids(value))
        if shown.type == "member":
            members = value if isinstance(value, list) else [value]
            return value_list(self.member(m) for m in members)
        if shown.type == "history":
            return clause_list(self.history_entry(entry) for entry in value)
        if shown.type == "activities":
            return clause_list(self.activity_entry(entry) for entry in value)
        if shown.type == "next_step":
            return self.next_step(value)
        return self.formatter.value(shown, value)

    def member(self, member_id: Any) -> str:
        member = self.workspace.config.members.get(str(member_id))
        return member.name if member else plain(member_id)

    def record(self, target: Project | None, record_id: str, with_id: bool = False) -> str:
        found = target.records.get(record_id) if target is not None else None
        if found is None:
            return _("{id} (no such record)").format(id=record_id)
        if with_id and found.name != record_id:
            return _("{name} ({id})").format(name=found.name, id=record_id)
        return found.name

    def history_entry(self, entry: Any) -> str:
        if not isinstance(entry, dict):
            return plain(entry)
        text = str(entry.get("list", "?"))
        if entry.get("at") is not None:
            text += " — " + self.formatter.value(None, entry["at"])
        if entry.get("by") is not None:
            text += f" ({self.member(entry['by'])})"
        return text

    def activity_entry(self, entry: Any) -> str:
        """One activity: “call — 1 Dec 2026, 10:00 (Alice Martin): will decide Friday”."""
        if not isinstance(entry, dict):
            return plain(entry)
        text = str(entry.get("type", "?"))
        if entry.get("at") is not None:
            text += " — " + self.formatter.value(None, entry["at"])
        if entry.get("by") is not None:
            text += f" ({self.member(entry['by'])})"
        return f"{text}: {plain(entry.get('text'))}"

    def next_step(self, step: Any) -> str:
        """The next step: “Send the quote — due 5 Dec 2026 (Alice Martin)”."""
        if not isinstance(step, dict):
            return plain(step)
        text = plain(step.get("what"))
        if step.get("due") is not None:
            text += " — " + _("due {day}").format(day=self.formatter.value(None, step["due"]))
        if step.get("by") is not None:
            text += f" ({self.member(step['by'])})"
        return text


def encrypted(record: Record, key: str) -> bool:
    """A hidden value the file holds sealed that this reader's key cannot open: shown as
    "(encrypted)" rather than as if the field were empty."""
    return key in record.sealed and key not in record.data


def display_field(engine: Engine, project: Project, field: FieldDef) -> FieldDef:
    """The field whose type decides how a value reads: a lookup of an amount is money, a
    lookup of a reference is a name."""
    seen = set()
    while field.type in ("lookup", "rollup") and field.display_format is None:
        if field.type == "rollup" and field.agg in ("count", "join"):
            return field
        target = engine.target_of(project, field.through or "")
        target_field = target.fields.get(field.source_field or "") if target else None
        if target is None or target_field is None or (target.key, target_field.key) in seen:
            return field
        seen.add((target.key, target_field.key))
        project, field = target, target_field
    return field


def plain(value: Any) -> str:
    """Text for a value of no known field: mappings and lists spelled out."""
    if isinstance(value, dict):
        return value_list(f"{k}: {plain(v)}" for k, v in value.items())
    if isinstance(value, list):
        return clause_list(plain(item) for item in value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return "" if value is None else str(value)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []
