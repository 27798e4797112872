"""Editing records: add, move, set, rename, rm — validated first, written atomically.

An `Editor` opens the workspace lazily (schemas now, records on demand), so a command that
touches one record reads that record and the ones it references, not the whole workspace.
Every change is checked with the same rules as `crm check` before anything is written, and
written under the workspace lock through the round-trip writer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from crmcli.core.lazy_records import is_safe_id
from crmcli.core.loader import Loader
from crmcli.core.lookup import require_project, require_record_id
from crmcli.core.model import FieldDef, Project, Record, RecordEvent, Workspace
from crmcli.core.problems import did_you_mean
from crmcli.editing.atomic import PendingWrite, sha256, write_atomically
from crmcli.editing.canonical import canonical_keys, keys_before
from crmcli.editing.change import Change
from crmcli.editing.ids import free_id, make_id
from crmcli.editing.journal import write_all
from crmcli.editing.lock import workspace_lock
from crmcli.editing.new_record import render_record
from crmcli.editing.references import reference_rewrites, referrers
from crmcli.editing.writer import RecordFile
from crmcli.engine.compute import Engine
from crmcli.engine.present import Presenter
from crmcli.engine.reader import identify_actor, reader_for, role_of, workspace_now
from crmcli.errors import CrmError, UsageError
from crmcli.fields.builtins import resolve_member
from crmcli.fields.context import FieldContext
from crmcli.fields.record import RecordChecker, RecordIssue
from crmcli.fields.registry import field_type
from crmcli.i18n import _, counted, ngettext, quoted
from crmcli.i18n.lists import and_list, clause_list


class Editor:
    def __init__(self, root: Path, acting_as: str | None = None) -> None:
        self.root = root
        loader = Loader(root)
        self.workspace: Workspace = loader.load(lazy=True)
        self._refuse_unreadable_config(loader)
        self.actor = identify_actor(self.workspace, acting_as)
        self.presenter = Presenter(self.workspace, Engine(self.workspace, loader.log))

    def _refuse_unreadable_config(self, loader: Loader) -> None:
        broken = [
            p
            for p in loader.log.problems
            if p.code in ("invalid-yaml", "not-utf8", "empty-file", "not-a-mapping")
        ]
        if any(p.path == "crm.yaml" for p in broken):
            raise CrmError(
                _("crm.yaml cannot be read; fix it first (run crm check)"), problems=broken
            )

    # lookups

    def project(self, key: str) -> Project:
        return require_project(self.workspace, key)

    def locate(self, reference: str) -> tuple[Project, str]:
        return require_record_id(self.workspace, reference)

    def _context(self, project: Project) -> FieldContext:
        return FieldContext(self.workspace, project, workspace_now(self.workspace).date())

    def parse_assignments(self, project: Project, assignments: Iterable[str]) -> dict[str, Any]:
        """['amount=12 000', 'tags=seo,website'] → {'amount': 12000, 'tags': [...]}."""
        values: dict[str, Any] = {}
        context = self._context(project)
        for assignment in assignments:
            key, equals, text = assignment.partition("=")
            key = key.strip()
            if not equals or not key:
                raise UsageError(_("“{text}” is not field=value").format(text=assignment))
            definition = _require_field(project, key)
            values[key] = field_type(definition).parse(text, context)
        return values

    # permissions

    def refuse_read_only(self, project: Project, keys: Iterable[str]) -> None:
        role = role_of(self.workspace, self.actor)
        if role is None:
            return
        forbidden = [key for key in keys if f"{project.key}.{key}" in role.read_only]
        if forbidden:
            labels = and_list(
                project.fields[k].label if k in project.fields else k for k in forbidden
            )
            raise CrmError(
                _(
                    "{member} ({role}) may not change {fields} in {project}; nothing was written"
                ).format(
                    member=self._actor_name(), role=role.name, fields=labels, project=project.name
                )
            )

    def refuse_removal(self, project: Project) -> None:
        """Removing a record deletes its read-only values too, so a role with read-only
        fields in the project may not remove its records."""
        role = role_of(self.workspace, self.actor)
        if role is None or not any(name.startswith(f"{project.key}.") for name in role.read_only):
            return
        raise CrmError(
            _(
                "{member} ({role}) may not remove records from {project}, whose read-only "
                "values would go with them; nothing was removed."
            ).format(member=self._actor_name(), role=role.name, project=project.name)
        )

    def _actor_name(self) -> str:
        return self.actor.name if self.actor else _("a non-member")

    # validation

    def _validate(self, project: Project, record: Record, changed: Iterable[str]) -> list[str]:
        """Refuse the change if it leaves the record invalid where it changed; return warnings
        about problems the record already had elsewhere."""
        checker = RecordChecker(FieldContext(self.workspace, project))
        changed = set(changed)
        blocking, other = [], []
        reader = reader_for(self.workspace, self.actor)
        for issue in checker.issues(record):
            if issue.severity != "error":
                continue
            if _is_caused_by(issue, changed):
                blocking.append(issue.message)
            elif reader.may_see(project.key, str(issue.field)):  # no hidden value echoed
                other.append(issue.message)
        if blocking:
            raise CrmError(_("nothing was written:") + "\n  " + "\n  ".join(blocking))
        return other

    def new_record_text(
        self,
        project: Project,
        data: Mapping[str, Any],
        now: datetime | None = None,
        entered: datetime | None = None,
    ) -> str:
        """The file of a new record (the one way new records are written: `crm add`, imports):
        fields in canonical order, `created` and the first history entry stamped unless given
        (`entered`: when the record entered its list, if not now: an imported deal won in June).
        Later changes are dated by git and the history, so `crm set amount=13000` changes one
        line."""
        now = now or workspace_now(self.workspace)
        stamped = dict(data)
        if "created" in project.fields:
            stamped.setdefault("created", now)
        if "list" in stamped and "history" in project.fields and "history" not in stamped:
            stamped["history"] = [self.history_item(stamped["list"], entered or now)]
        ordered = {key: stamped[key] for key in canonical_keys(project) if key in stamped}
        ordered.update(stamped)
        sealing = self.workspace.sealing
        return render_record({k: sealing.written(project.key, k, v) for k, v in ordered.items()})

    def write_values(
        self, project: Project, document: RecordFile, values: Mapping[str, Any]
    ) -> None:
        """Set fields of a record file, a new key in canonical order; a new list goes into the
        history (unless `values` bring the history that says when)."""
        sealing = self.workspace.sealing
        for key, value in values.items():
            value = sealing.written(project.key, key, value, document.document.get(key))
            document.set(key, value, after=keys_before(project, key))
        if "list" in values and "history" not in values:
            self._history_entry(project, document, values["list"])

    def _history_entry(self, project: Project, document: RecordFile, list_name: str) -> None:
        if "history" not in project.fields:
            return
        if "history" not in document.document:
            document.set("history", [], after=keys_before(project, "history"))
        document.append("history", self.history_item(list_name, workspace_now(self.workspace)))

    def history_item(self, list_name: str, at: datetime) -> dict[str, Any]:
        """One history entry: the list a record went to, when, and by whom if known."""
        entry: dict[str, Any] = {"list": list_name, "at": at}
        if self.actor:
            entry["by"] = self.actor.id
        return entry

    # operations

    def add(
        self,
        project_key: str,
        name: str,
        *,
        list_name: str | None = None,
        tags: Iterable[str] = (),
        assignee: str | None = None,
        assignments: Iterable[str] = (),
    ) -> Change:
        project = self.project(project_key)
        if not name.strip():
            raise UsageError(_("the name is empty"))
        values = self.parse_assignments(project, assignments)
        context = self._context(project)
        if list_name is not None:
            values["list"] = field_type(project.fields["list"]).parse(list_name, context)
        elif project.lists and "list" in project.fields and "list" not in values:
            values["list"] = next(iter(project.lists))
        tags = list(tags)
        if tags:
            values["tags"] = field_type(project.fields["tags"]).parse(",".join(tags), context)
        if assignee is not None:
            values["assignee"] = resolve_member(
                self.workspace, assignee, project.fields["assignee"].label
            )
        return self.create(project, name, values)

    def create(self, project: Project, name: str, values: Mapping[str, Any]) -> Change:
        """Write a new record of already typed values (`crm add`, the web form): a free id
        taken under the lock, the record checked like `crm check` before it is written."""
        self.refuse_read_only(project, values)
        base_id = make_id(name)
        if not base_id:
            raise UsageError(
                _("the name gives no usable id (it has no letters or digits); choose another name")
            )
        data = {"name": name.strip(), **values}
        with workspace_lock(self.root):
            record_id = free_id(base_id, project.records)
            relative = f"{project.key}/{record_id}.yaml"
            record = Record(project.key, record_id, relative, data)
            warnings = self._validate(project, record, data)
            write_atomically(self.root / relative, self.new_record_text(project, data), None)
        return Change(
            (
                _("{ref}: new {record} “{name}” in {list}")
                if "list" in data
                else _("{ref}: new {record} “{name}”")
            ).format(
                ref=f"{project.key}/{record_id}",
                record=project.record_name,
                name=data["name"],
                list=data.get("list"),
            ),
            written=[relative],
            record=f"{project.key}/{record_id}",
            warnings=warnings,
            events=[
                RecordEvent(
                    "created", project.key, record_id, to_list=data.get("list"), fields=tuple(data)
                )
            ],
        )

    def move(self, reference: str, list_name: str, assignments: Iterable[str] = ()) -> Change:
        project, record_id = self.locate(reference)
        if "list" not in project.fields or not project.lists:
            raise UsageError(_("{project} has no lists").format(project=project.name))
        target = field_type(project.fields["list"]).parse(list_name, self._context(project))
        values = self.parse_assignments(project, assignments)
        self.refuse_read_only(project, ["list", *values])
        with workspace_lock(self.root):
            record, document = self._open(project, record_id)
            previous = record.data.get("list")
            if previous == target:
                raise UsageError(_("{ref} is already in {list}").format(ref=reference, list=target))
            record.data["list"] = target
            record.data.update(values)
            warnings = self._validate(project, record, {"list", *values})
            self.write_values(project, document, {"list": target, **values})
            write_atomically(document.path, document.render(), document.original_sha)
        summary = _("{ref}: {before} → {after}").format(
            ref=record.ref, before=previous or "—", after=target
        )
        if values:
            summary = clause_list([summary, self.describe_values(project, {}, values)])
        events = [RecordEvent("moved", project.key, record_id, previous, target)]
        if values:
            events.append(RecordEvent("changed", project.key, record_id, fields=tuple(values)))
        return Change(
            summary, written=[record.path], record=record.ref, warnings=warnings, events=events
        )

    def set(self, reference: str, assignments: Iterable[str], unset: Iterable[str] = ()) -> Change:
        project, record_id = self.locate(reference)
        values = self.parse_assignments(project, assignments)
        unset = list(unset)
        for key in unset:
            if _require_field(project, key).computed:
                raise UsageError(
                    _("{label} is computed and cannot be unset").format(
                        label=project.fields[key].label
                    )
                )
        if "list" in values:
            raise UsageError(_("use crm move to change the list, so that the history records it"))
        if not values and not unset:
            raise UsageError(_("nothing to set: give field=value or --unset FIELD"))
        self.refuse_read_only(project, [*values, *unset])
        with workspace_lock(self.root):
            record, document = self._open(project, record_id)
            before = dict(record.data)
            record.data.update(values)
            for key in unset:
                record.data.pop(key, None)
            if record.data == before:
                return Change(_("{ref}: nothing changed").format(ref=record.ref), record=record.ref)
            warnings = self._validate(project, record, {*values, *unset})
            self.write_values(project, document, values)
            for key in unset:
                document.delete(key)
            write_atomically(document.path, document.render(), document.original_sha)
        summary = f"{record.ref}: " + self.describe_values(project, before, values, unset)
        changed = tuple(k for k in (*values, *unset) if before.get(k) != record.data.get(k))
        return Change(
            summary,
            written=[record.path],
            record=record.ref,
            warnings=warnings,
            events=[RecordEvent("changed", project.key, record_id, fields=changed)],
        )

    def rename(self, reference: str, new_id: str) -> Change:
        project, record_id = self.locate(reference)
        if not is_safe_id(new_id) or make_id(new_id) != new_id:
            raise UsageError(
                _(
                    "“{id}” is not a valid id: use lowercase letters, digits and dashes (e.g. {example})"
                ).format(id=new_id, example=make_id(new_id) or "acme-corp")
            )
        with workspace_lock(self.root):
            self._open(project, record_id)  # refuses a file that is not valid YAML
            if new_id in project.records:
                raise UsageError(
                    _("{project}/{id} already exists").format(project=project.key, id=new_id)
                )
            old_path = self.root / project.key / f"{record_id}.yaml"
            new_relative = f"{project.key}/{new_id}.yaml"
            rewrites = reference_rewrites(self.root, self.workspace, project, record_id, new_id)
            writes = [PendingWrite(d.path, d.render(), d.original_sha) for d in rewrites]
            moved = old_path.read_bytes()
            new_file = PendingWrite(self.root / new_relative, moved.decode("utf-8"), None)
            write_all(self.root, [*writes, new_file], removals=[(old_path, sha256(moved))])
        return Change(
            ngettext(
                "{old} → {new} ({count} reference updated)",
                "{old} → {new} ({count} references updated)",
                len(rewrites),
            ).format(
                old=f"{project.key}/{record_id}",
                new=f"{project.key}/{new_id}",
                count=counted(len(rewrites)),
            ),
            written=[new_relative, *[d.relative for d in rewrites]],
            removed=[f"{project.key}/{record_id}.yaml"],
            record=f"{project.key}/{new_id}",
        )

    def remove(self, reference: str, force: bool = False) -> Change:
        project, record_id = self.locate(reference)
        self.refuse_removal(project)
        with workspace_lock(self.root):
            record, _document = self._open(project, record_id)  # refuses invalid YAML
            referring = referrers(self.workspace, project, record_id, strict=not force)
            if referring and not force:
                listed = "\n  ".join(f"{r.ref} {quoted(r.name)} ({key})" for r, key in referring)
                raise CrmError(
                    ngettext(
                        "{ref} is referenced by {count} record; nothing was removed (use --force to remove it anyway):",
                        "{ref} is referenced by {count} records; nothing was removed (use --force to remove it anyway):",
                        len({r.ref for r, _key in referring}),
                    ).format(ref=reference, count=counted(len({r.ref for r, _key in referring})))
                    + "\n  "
                    + listed
                )
            (self.root / record.path).unlink()
        warnings = [
            _("{ref} still refers to it ({field})").format(ref=r.ref, field=key)
            for r, key in referring
        ]
        return Change(
            _("{ref}: removed {record} “{name}”").format(
                ref=record.ref, record=project.record_name, name=record.name
            ),
            removed=[record.path],
            warnings=warnings,
        )

    # helpers

    def _open(self, project: Project, record_id: str) -> tuple[Record, RecordFile]:
        relative = f"{project.key}/{record_id}.yaml"
        document = RecordFile.open(self.root / relative, relative)
        record = project.records[record_id]
        record.data = dict(record.data)
        return record, document

    def describe_values(
        self,
        project: Project,
        before: Mapping[str, Any],
        values: Mapping[str, Any],
        unset: Iterable[str] = (),
    ) -> str:
        """What a change does, for the actor to read: the old value only where they may see it."""
        parts = []
        reader = reader_for(self.workspace, self.actor)
        for key, value in values.items():
            definition = project.fields[key]
            old = before.get(key) if reader.may_see(project.key, key) else None
            shown = self.presenter.field_value(project, definition, value)
            if old is None:
                parts.append(f"{definition.label} = {shown}")
            else:
                old_shown = self.presenter.field_value(project, definition, old)
                parts.append(f"{definition.label} {old_shown} → {shown}")
        parts.extend(_("{label} removed").format(label=project.fields[key].label) for key in unset)
        return clause_list(parts)


def _require_field(project: Project, key: str) -> FieldDef:
    if key not in project.fields:
        raise UsageError(
            _("{project} has no field “{field}”{hint}").format(
                project=project.name, field=key, hint=did_you_mean(key, project.fields)
            )
        )
    return project.fields[key]


def _is_caused_by(issue: RecordIssue, changed: set[str]) -> bool:
    return issue.field in changed or issue.code in ("required", "no-list") or not changed
