"""What changed in one record between two sides, field by field, in business words.

For each changed record the engine computes its computed fields on both sides
(`Engine.compute_record` within `Reach.NAMED_RECORDS`, following references into other
projects), which shows consequences such as a deal's profit or its client's e-mail. Backlinks,
and what reads them, are not recomputed: they need every record of another project.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from crmcli.core.model import Project, Record
from crmcli.i18n import _, quoted
from crmcli.review.sides import Found, Side

ADDED, REMOVED, RENAMED, CHANGED = "added", "removed", "renamed", "changed"
MERGED = "merged"  # removed by `crm merge`, its references re-pointed (review/merges.py)
SPECIAL_KEYS = ("list", "tags", "history", "activities")  # a move, tags ±, entries ±
Visible = Callable[[str], bool]  # may this field be shown?


@dataclass(frozen=True, slots=True)
class ValueChange:
    """One field's value on each side: `before`/`after` formatted for people, `old`/`new` raw."""

    field: str
    label: str
    before: str
    after: str
    old: Any = None
    new: Any = None


@dataclass(slots=True)
class RecordChange:
    status: str  # ADDED, REMOVED, RENAMED, CHANGED or MERGED
    project: str
    project_name: str
    id: str
    name: str
    record_name: str
    old_ref: str | None = None
    list_before: str | None = None
    list_after: str | None = None
    tags_added: list[str] = field(default_factory=list)
    tags_removed: list[str] = field(default_factory=list)
    fields: list[ValueChange] = field(default_factory=list)
    history_added: list[str] = field(default_factory=list)
    history_removed: list[str] = field(default_factory=list)
    activities_added: list[str] = field(default_factory=list)
    activities_removed: list[str] = field(default_factory=list)
    computed: list[ValueChange] = field(default_factory=list)
    hidden_changed: list[str] = field(default_factory=list)  # labels only: "cost changed"
    flags: list[str] = field(default_factory=list)  # problems of the record on either side
    merged_into: str | None = None  # MERGED: the record that remains (PROJECT/ID)
    repointed: int = 0  # MERGED: how many records referred to it and now to merged_into

    @property
    def ref(self) -> str:
        return f"{self.project}/{self.id}"

    @property
    def label(self) -> str:
        return f"{self.record_name} {quoted(self.name)}"

    @property
    def moved(self) -> bool:
        return self.status in (CHANGED, RENAMED) and self.list_before != self.list_after

    @property
    def is_empty(self) -> bool:
        return self.status == CHANGED and not (
            self.moved
            or self.tags_added
            or self.tags_removed
            or self.fields
            or self.history_added
            or self.history_removed
            or self.activities_added
            or self.activities_removed
            or self.computed
            or self.hidden_changed
            or self.flags
        )


def compare_records(
    before_side: Side,
    before: Found | None,
    after_side: Side,
    after: Found | None,
    hidden: frozenset[str] = frozenset(),
    labels: tuple[str, str] | None = None,
) -> RecordChange:
    """What changed in one record from one side to the other (either may be missing);
    `labels` name the two sides in the record's problems (default: the sides' labels)."""
    main = after or before
    assert main is not None
    record = main.record
    old = before.record.data if before and before.record else {}
    new = after.record.data if after and after.record else {}
    status = ADDED if before is None else REMOVED if after is None else CHANGED
    if before is not None and after is not None and _ref(before) != _ref(after):
        status = RENAMED
    change = RecordChange(
        status=status,
        project=main.project.key,
        project_name=main.project.name,
        id=main.record_id,
        name=record.name if record else main.record_id,
        record_name=main.project.record_name,
        old_ref=_ref(before) if status == RENAMED and before else None,
        list_before=_text(old.get("list")),
        list_after=_text(new.get("list")),
    )
    old_tags, new_tags = _strings(old.get("tags")), _strings(new.get("tags"))
    change.tags_added = [tag for tag in new_tags if tag not in old_tags]
    change.tags_removed = [tag for tag in old_tags if tag not in new_tags]
    visible = _visible(main.project, hidden)
    pair = _Pair(before_side, before, after_side, after)
    change.fields = _field_changes(pair, old, new, visible)
    encrypted = before_side.workspace.sealing.enabled or after_side.workspace.sealing.enabled
    if encrypted and before and before.record and after and after.record:
        change.hidden_changed = _hidden_changes(main.project, before.record, after.record, visible)
    if visible("history"):
        change.history_added, change.history_removed = _compare_entries(
            "history", before_side, after_side, old, new
        )
    if visible("activities"):
        change.activities_added, change.activities_removed = _compare_entries(
            "activities", before_side, after_side, old, new
        )
    change.computed = _computed_changes(pair, visible)
    before_label, after_label = labels or (before_side.label, after_side.label)
    for found, side_label in ((before, before_label), (after, after_label)):
        if found is not None:
            change.flags.extend(
                _("in {side}: {problem}").format(side=side_label, problem=flag)
                for flag in found.flags
            )
    return change


def _ref(found: Found) -> str:
    return f"{found.project.key}/{found.record_id}"


def _visible(project: Project, hidden: frozenset[str]) -> Visible:
    return lambda key: f"{project.key}.{key}" not in hidden


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


class _Pair:
    """One record on both sides, to describe its values."""

    def __init__(
        self, before_side: Side, before: Found | None, after_side: Side, after: Found | None
    ) -> None:
        self.before_side, self.before = before_side, before
        self.after_side, self.after = after_side, after
        self.project = (after or before).project  # type: ignore[union-attr]

    def keys(self, *datas: dict[str, Any]) -> list[str]:
        """Schema order (the target's, then the base's), then keys no schema declares."""
        keys: dict[str, None] = {}
        for found in (self.after, self.before):
            if found is not None:
                keys.update(dict.fromkeys(found.project.fields))
        for data in datas:
            keys.update(dict.fromkeys(str(k) for k in data))
        return list(keys)

    def change(self, key: str, old: Any, new: Any) -> ValueChange:
        definition = self.project.fields.get(key)
        return ValueChange(
            key,
            definition.label if definition else key,
            self.before_side.presenter.value(self.before.project, key, old) if self.before else "",
            self.after_side.presenter.value(self.after.project, key, new) if self.after else "",
            old,
            new,
        )


def _field_changes(
    pair: _Pair, old: dict[str, Any], new: dict[str, Any], visible: Visible
) -> list[ValueChange]:
    return [
        pair.change(key, old.get(key), new.get(key))
        for key in pair.keys(old, new)
        if key not in SPECIAL_KEYS
        and visible(key)
        and not (key == "name" and not old)  # a new record's name is its headline
        and old.get(key) != new.get(key)
    ]


def _hidden_changes(project: Project, before: Record, after: Record, visible: Visible) -> list[str]:
    """The stored fields hidden from the reader that changed, by label, where hidden values
    are encrypted (git shows their lines changing anyway): a value that could not
    be opened (no key) is compared by its ciphertext, which stays as it is while the value
    does."""
    found = []
    for key, definition in project.fields.items():
        if visible(key) or definition.computed or key in SPECIAL_KEYS:
            continue
        locked = any(key in r.sealed and key not in r.data for r in (before, after))
        if locked:
            differs = before.sealed.get(key) != after.sealed.get(key)
        else:
            differs = before.data.get(key) != after.data.get(key)
        if differs:
            found.append(definition.label)
    return found


def _compare_entries(
    key: str,
    before_side: Side,
    after_side: Side,
    old: dict[str, Any],
    new: dict[str, Any],
) -> tuple[list[str], list[str]]:
    """Entries added to and removed from the list history (`crm move` appends one) or the
    activities (`crm note`)."""
    old_entries = old.get(key) if isinstance(old.get(key), list) else []
    new_entries = new.get(key) if isinstance(new.get(key), list) else []

    def shown(side: Side, entry: Any) -> str:
        presenter = side.presenter
        return (
            presenter.history_entry(entry) if key == "history" else presenter.activity_entry(entry)
        )

    added = [shown(after_side, entry) for entry in new_entries if entry not in old_entries]
    removed = [shown(before_side, entry) for entry in old_entries if entry not in new_entries]
    return added, removed


def _computed_changes(pair: _Pair, visible: Visible) -> list[ValueChange]:
    old = pair.before.record.computed if pair.before and pair.before.record else {}
    new = pair.after.record.computed if pair.after and pair.after.record else {}
    return [
        pair.change(key, old.get(key), new.get(key))
        for key in pair.keys(old, new)
        if (key in old or key in new)
        and visible(key)
        and old.get(key) != new.get(key)
        and not (_empty(old.get(key)) and _empty(new.get(key)))
    ]


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []
