"""`crm note`, `crm next`, `crm done`: logging what happened and what is to be done next.

Each is an edit of one record through the editor, so it is validated like `crm set`, refused
for a role that may not edit the field, and written atomically under the lock. An activity is
one flow mapping appended to `activities:` and a next step one flow mapping, so `git diff`
shows a note as one added line.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from crmcli.core.model import FieldDef, Project, RecordEvent
from crmcli.editing.atomic import write_atomically
from crmcli.editing.canonical import keys_before
from crmcli.editing.change import Change
from crmcli.editing.editor import Editor
from crmcli.editing.lock import workspace_lock
from crmcli.editing.writer import RecordFile
from crmcli.engine.activity import next_step
from crmcli.engine.reader import workspace_now
from crmcli.errors import UsageError
from crmcli.fields.activities import ACTIVITY_TYPES
from crmcli.fields.builtins import resolve_member
from crmcli.fields.dates import Date, DateTime
from crmcli.i18n import _
from crmcli.i18n.lists import value_list


class ActivityEditor(Editor):
    """The editor, with the day's three edits."""

    def note(self, reference: str, text: str, kind: str = "note", at: str | None = None) -> Change:
        """Append `{type, at, by, text}` to the record's activities."""
        project, record_id = self.locate(reference)
        self._require(project, "activities")
        if not text.strip():
            raise UsageError(_("the note is empty"))
        entry = self._activity(project, kind, text.strip(), at)
        self.refuse_read_only(project, ["activities"])
        with workspace_lock(self.root):
            record, document = self._open(project, record_id)
            record.data["activities"] = [*_entries(record.data.get("activities")), entry]
            warnings = self._validate(project, record, {"activities"})
            self._append_activity(project, document, entry)
            write_atomically(document.path, document.render(), document.original_sha)
        return Change(
            _("{ref}: {type} logged: {text}").format(ref=record.ref, type=kind, text=entry["text"]),
            written=[record.path],
            record=record.ref,
            warnings=warnings,
            events=[RecordEvent("changed", project.key, record_id, fields=("activities",))],
        )

    def plan_next(
        self, reference: str, what: str, due: str | None = None, assignee: str | None = None
    ) -> Change:
        """Set the record's next step `{what, due, by}`; `by` defaults to the record's
        assignee, else the member acting."""
        project, record_id = self.locate(reference)
        self._require(project, "next_step")
        if not what.strip():
            raise UsageError(_("the next step is empty"))
        step: dict[str, Any] = {"what": what.strip()}
        if due is not None:
            step["due"] = Date(_DUE).parse(due, self._context(project))
        self.refuse_read_only(project, ["next_step"])
        with workspace_lock(self.root):
            record, document = self._open(project, record_id)
            by = self._step_member(assignee, record.data.get("assignee"))
            if by is not None:
                step["by"] = by
            record.data["next_step"] = step
            warnings = self._validate(project, record, {"next_step"})
            document.set("next_step", _flow(step), after=keys_before(project, "next_step"))
            write_atomically(document.path, document.render(), document.original_sha)
        shown = self.presenter.field_value(project, project.fields["next_step"], step)
        return Change(
            _("{ref}: next step: {step}").format(ref=record.ref, step=shown),
            written=[record.path],
            record=record.ref,
            warnings=warnings,
            events=[RecordEvent("changed", project.key, record_id, fields=("next_step",))],
        )

    def done(self, reference: str, kind: str = "note") -> Change:
        """Log the next step as an activity and clear it."""
        project, record_id = self.locate(reference)
        self._require(project, "next_step")
        self._require(project, "activities")
        self.refuse_read_only(project, ["next_step", "activities"])
        with workspace_lock(self.root):
            record, document = self._open(project, record_id)
            step = next_step(record)
            if step is None:
                raise UsageError(
                    _("{ref} has no next step; set one with crm next").format(ref=record.ref)
                )
            entry = self._activity(project, kind, step.what, None)
            record.data.pop("next_step", None)
            record.data["activities"] = [*_entries(record.data.get("activities")), entry]
            warnings = self._validate(project, record, {"activities", "next_step"})
            document.delete("next_step")
            self._append_activity(project, document, entry)
            write_atomically(document.path, document.render(), document.original_sha)
        return Change(
            _("{ref}: done: {what}").format(ref=record.ref, what=step.what),
            written=[record.path],
            record=record.ref,
            warnings=warnings,
            events=[
                RecordEvent("changed", project.key, record_id, fields=("next_step", "activities"))
            ],
        )

    # helpers

    def _require(self, project: Project, key: str) -> None:
        if key not in project.fields:
            raise UsageError(
                _("{project} does not keep {field} (its schema removes it)").format(
                    project=project.name, field=BUILTIN_LABELS[key]
                )
            )

    def _activity(self, project: Project, kind: str, text: str, at: str | None) -> dict[str, Any]:
        if kind not in ACTIVITY_TYPES:
            raise UsageError(
                _("“{type}” is not an activity type ({types})").format(
                    type=kind, types=value_list(ACTIVITY_TYPES)
                )
            )
        moment: datetime = (
            DateTime(_AT).parse(at, self._context(project))
            if at is not None
            else workspace_now(self.workspace)
        )
        entry: dict[str, Any] = {"type": kind, "at": moment}
        if self.actor:
            entry["by"] = self.actor.id
        entry["text"] = text
        return entry

    def _append_activity(
        self, project: Project, document: RecordFile, entry: dict[str, Any]
    ) -> None:
        if "activities" not in document.document:
            document.set("activities", [], after=keys_before(project, "activities"))
        document.append("activities", entry)

    def _step_member(self, assignee: str | None, record_assignee: Any) -> str | None:
        if assignee is not None:
            return resolve_member(self.workspace, assignee, _("next step"))
        if isinstance(record_assignee, str) and record_assignee in self.workspace.config.members:
            return record_assignee
        return self.actor.id if self.actor else None


BUILTIN_LABELS = {"activities": _("activities"), "next_step": _("the next step")}
_DUE = FieldDef(key="due", type="date", label=_("due date"))
_AT = FieldDef(key="at", type="datetime", label=_("--at"))


def _entries(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []


def _flow(mapping: dict[str, Any]) -> Any:
    """A mapping written on one line, as history entries are."""
    from ruamel.yaml.comments import CommentedMap

    node = CommentedMap(mapping)
    node.fa.set_flow_style()
    return node
