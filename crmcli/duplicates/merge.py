"""`crm merge`: several records of one project become the one kept, in one journaled write.

For each field whose values differ, a rule decides and every decision is listed: an empty
value is filled from a merged record; tags, multi-selects, files and multiple references are
united; histories and activities are merged in time order; `created` keeps the earliest moment;
`updated` the latest; the kept record keeps its name. Any other difference is a conflict, refused with the list unless
`--prefer keep|other` or `--set FIELD=VALUE` decides it. Every reference to a merged record, in
any project, is re-pointed to the kept one (the rewriting of `crm rename`), the merged files are
removed, and all of it is one transaction (`editing/journal.py`): every file or none.

`crm diff` recognises the result as one merge (`review/merges.py`): a removed record whose
references now name a record of its project, or whose history that record took over.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from crmcli.core.model import Project, Record
from crmcli.editing.atomic import PendingWrite, sha256
from crmcli.editing.canonical import keys_before
from crmcli.editing.change import Change
from crmcli.editing.editor import Editor
from crmcli.editing.journal import write_all
from crmcli.editing.lock import workspace_lock
from crmcli.editing.references import reference_rewrites
from crmcli.editing.writer import RecordFile
from crmcli.engine.reader import reader_for
from crmcli.errors import CrmError, UsageError
from crmcli.i18n import _, counted, ngettext, quoted
from crmcli.i18n.lists import and_list

PREFERENCES = ("keep", "other")
DATED_LISTS = ("history", "activities")  # merged in time order
UNITED_TYPES = ("tags", "multi_select", "files")


@dataclass(frozen=True, slots=True)
class Choice:
    """What the merged record holds in one field, and why, in business words."""

    field: str
    value: Any
    text: str


@dataclass(frozen=True, slots=True)
class Merged:
    """What `crm merge` did (or would do): the change, and every choice in business words."""

    change: Change
    details: list[str]


@dataclass(slots=True)
class MergePlan:
    project: Project
    keep: Record
    others: list[Record]
    choices: list[Choice] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)

    @property
    def values(self) -> dict[str, Any]:
        return {choice.field: choice.value for choice in self.choices}


def merge_records(
    editor: Editor,
    keep_reference: str,
    other_references: Sequence[str],
    prefer: str | None = None,
    assignments: Iterable[str] = (),
    dry_run: bool = False,
) -> Merged:
    """Merge the other records into the kept one (see the module's docstring); a dry run
    says what would be done and writes nothing."""
    if prefer is not None and prefer not in PREFERENCES:
        raise UsageError(_("--prefer is keep or other, not “{value}”").format(value=prefer))
    project, keep_id, other_ids = _locate(editor, keep_reference, other_references)
    editor.refuse_removal(project)
    settings = editor.parse_assignments(project, assignments)
    with workspace_lock(editor.root):
        keep_file, _sha = _open(editor, project, keep_id)
        other_files = [_open(editor, project, other_id) for other_id in other_ids]
        plan = _plan(editor, project, keep_id, other_ids, prefer, settings)
        if plan.conflicts:
            raise CrmError(
                ngettext(
                    "{count} field differs and no rule decides it; nothing was merged (choose "
                    "with --prefer keep, --prefer other or --set FIELD=VALUE):",
                    "{count} fields differ and no rule decides them; nothing was merged (choose "
                    "with --prefer keep, --prefer other or --set FIELD=VALUE):",
                    len(plan.conflicts),
                ).format(count=counted(len(plan.conflicts)))
                + "\n  "
                + "\n  ".join(plan.conflicts)
            )
        editor.refuse_read_only(project, plan.values)
        merged = Record(project.key, keep_id, plan.keep.path, {**plan.keep.data, **plan.values})
        warnings = editor._validate(project, merged, plan.values)  # the rules of crm set
        for key, value in plan.values.items():
            keep_file.set(key, value, after=keys_before(project, key))
        documents = [keep_file]
        for other_id in other_ids:
            reference_rewrites(editor.root, editor.workspace, project, other_id, keep_id, documents)
        merged_paths = {f.relative for f, _sha in other_files}
        rewritten = [d for d in documents if d.relative not in merged_paths]
        if not dry_run:
            write_all(
                editor.root,
                [PendingWrite(d.path, d.render(), d.original_sha) for d in rewritten],
                removals=[(f.path, sha) for f, sha in other_files],
            )
    return _change(plan, rewritten[1:], warnings, dry_run)


def _locate(
    editor: Editor, keep_reference: str, other_references: Sequence[str]
) -> tuple[Project, str, list[str]]:
    if not other_references:
        raise UsageError(
            _("name at least one record to merge into {ref}").format(ref=keep_reference)
        )
    project, keep_id = editor.locate(keep_reference)
    other_ids: list[str] = []
    for reference in other_references:
        other_project, other_id = editor.locate(reference)
        if other_project is not project:
            raise UsageError(
                _(
                    "{other} is in {other_project}, {keep} in {project}: only records of one "
                    "project can be merged; nothing was merged"
                ).format(
                    other=reference,
                    other_project=other_project.name,
                    keep=keep_reference,
                    project=project.name,
                )
            )
        if other_id == keep_id or other_id in other_ids:
            raise UsageError(
                _(
                    "{ref} is named twice: a record cannot be merged into itself; nothing was merged"
                ).format(ref=f"{project.key}/{other_id}")
            )
        other_ids.append(other_id)
    return project, keep_id, other_ids


def _open(editor: Editor, project: Project, record_id: str) -> tuple[RecordFile, str]:
    """The file of a record to merge (refused if it is not valid YAML) and its sha256."""
    relative = f"{project.key}/{record_id}.yaml"
    document = RecordFile.open(editor.root / relative, relative)  # a clear error if broken
    return document, sha256(document.path.read_bytes())


def _record(project: Project, record_id: str) -> Record:
    try:
        return project.records[record_id]
    except KeyError:  # its file cannot be read as a record
        raise CrmError(
            _("{ref} cannot be read (run crm check); nothing was merged").format(
                ref=f"{project.key}/{record_id}"
            )
        ) from None


def _plan(
    editor: Editor,
    project: Project,
    keep_id: str,
    other_ids: list[str],
    prefer: str | None,
    settings: dict[str, Any],
) -> MergePlan:
    keep = _record(project, keep_id)
    others = [_record(project, other_id) for other_id in other_ids]
    plan = MergePlan(project, keep, others)
    describe = _Describer(editor, project)
    keys = dict.fromkeys(k for record in (keep, *others) for k in record.data)
    for key in keys:
        if key in settings:
            continue
        values = [record.data.get(key) for record in (keep, *others)]
        _decide(plan, describe, key, values, prefer)
    plan.choices.extend(
        Choice(
            key,
            value,
            _("{field}: {value} (set)").format(
                field=describe.label(key), value=describe.value(key, value)
            ),
        )
        for key, value in settings.items()
    )
    plan.choices = [c for c in plan.choices if keep.data.get(c.field) != c.value]
    return plan


def _decide(
    plan: MergePlan, describe: _Describer, key: str, values: list[Any], prefer: str | None
) -> None:
    """The rule for one field: fill, unite, merge in time order, earliest, or a preference."""
    kept, *merged = values
    given = [value for value in values if value not in (None, "", [])]

    def choose(value: Any, template: str, **more: str) -> None:
        text = template.format(field=describe.label(key), value=describe.value(key, value), **more)
        plan.choices.append(Choice(key, value, text))

    if not given or all(value == given[0] for value in given):
        if given and kept in (None, "", []):
            source = plan.others[merged.index(given[0])].ref
            choose(given[0], _("{field}: {value} (from {ref})"), ref=source)
        return
    lists = all(isinstance(v, list) for v in given)
    if key in DATED_LISTS and lists:
        entries = sorted((e for v in given for e in v), key=_moment)
        choose(entries, _("{field}: merged in time order"))
    elif _united(plan.project, key) and lists:
        choose(
            list(dict.fromkeys(item for v in given for item in v)), _("{field}: {value} (united)")
        )
    elif key == "created":
        choose(min(given, key=_moment), _("{field}: {value} (the earliest)"))
    elif key == "updated":
        choose(max(given, key=_moment), _("{field}: {value} (the latest)"))
    elif key == "name" and prefer != "other":
        choose(kept, _("{field}: {value} (the kept record's)"))
    elif prefer is not None:
        chosen = _preferred(kept, merged, prefer)
        choose(chosen, _("{field}: {value} (--prefer {preference})"), preference=prefer)
    else:
        shown = " ≠ ".join(
            f"{describe.value(key, value)} ({record.ref})"
            for value, record in zip(values, (plan.keep, *plan.others), strict=True)
        )
        plan.conflicts.append(f"{describe.label(key)}: {shown}")


def _preferred(kept: Any, merged: list[Any], prefer: str) -> Any:
    """--prefer keep: the kept record's value, if it has one; --prefer other: the first merged
    record's that has one."""
    filled = [value for value in merged if value not in (None, "", [])]
    if prefer == "keep" and kept not in (None, "", []):
        return kept
    return filled[0] if filled else kept


def _united(project: Project, key: str) -> bool:
    definition = project.fields.get(key)
    if definition is None:
        return False
    return (
        definition.type in UNITED_TYPES
        or key == "tags"
        or (definition.type == "reference" and definition.multiple)
    )


def _moment(entry: Any) -> float:
    """When a history entry, an activity or a `created` value happened (undated: first)."""
    moment = entry.get("at") if isinstance(entry, dict) else entry
    if isinstance(moment, datetime):
        return moment.timestamp()
    if isinstance(moment, date):
        return datetime(moment.year, moment.month, moment.day).timestamp()
    return float("-inf")


class _Describer:
    """Field labels and values as the acting member may read them (hidden ones as “hidden”)."""

    def __init__(self, editor: Editor, project: Project) -> None:
        self.editor = editor
        self.project = project
        self.reader = reader_for(editor.workspace, editor.actor)

    def label(self, key: str) -> str:
        definition = self.project.fields.get(key)
        return definition.label if definition else key

    def value(self, key: str, value: Any) -> str:
        if not self.reader.may_see(self.project.key, key):
            return _("(hidden)")
        if value in (None, "", []):
            return "—"
        return self.editor.presenter.value(self.project, key, value)


def _change(
    plan: MergePlan, rewritten: list[RecordFile], warnings: list[str], dry_run: bool
) -> Merged:
    project = plan.project
    summary = ngettext(
        "{project}: merged {merged} into “{kept}”",
        "{project}: merged {merged} into “{kept}”",
        len(plan.others),
    ).format(
        project=project.key,
        merged=and_list(quoted(record.name) for record in plan.others),
        kept=plan.keep.name,
    )
    details = [choice.text for choice in plan.choices]
    details.append(
        ngettext(
            "{count} record re-pointed to {ref}",
            "{count} records re-pointed to {ref}",
            len(rewritten),
        ).format(count=counted(len(rewritten)), ref=plan.keep.ref)
    )
    if dry_run:
        details.append(_("dry run: nothing was written"))
    change = Change(
        summary,
        written=[] if dry_run else [plan.keep.path, *[d.relative for d in rewritten]],
        removed=[] if dry_run else [record.path for record in plan.others],
        record=plan.keep.ref,
        warnings=warnings,
    )
    return Merged(change, details)
