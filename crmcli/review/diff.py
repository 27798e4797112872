"""Semantic diffs: what changed between two states of a workspace, in business words.

Both sides load lazily (`GitSource` for a revision, `IndexSource` for what is staged,
`DiskSource` for the working tree), so a diff reads the changed files and the records they
refer to, never the whole workspace twice. For each changed record the engine computes its
computed fields on both sides (`Engine.compute_record` within `Reach.NAMED_RECORDS`, following
references into other projects), which shows consequences such as a deal's profit or its
client's e-mail. Backlinks, and what reads them, are not recomputed: they need every record of
another project.

The summary sums the pipeline over the changed records: unchanged deals count the same on
both sides, so its difference is the whole pipeline's change. `totals=True` reads every deal
of both sides for absolute figures.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from crmcli.core.loader import Loader
from crmcli.core.model import Project, Record
from crmcli.core.sources import DiskSource, FileSource
from crmcli.core.yamlio import MAX_RECORD_BYTES
from crmcli.engine import deals
from crmcli.engine.compute import Engine
from crmcli.engine.present import Presenter
from crmcli.engine.reader import identify_reader, workspace_now
from crmcli.engine.scope import Reach
from crmcli.errors import CrmError, Severity, UsageError
from crmcli.fields.context import FieldContext
from crmcli.fields.formatting import Formatter
from crmcli.fields.record import RecordChecker
from crmcli.fields.references import reference_ids
from crmcli.git.run import git
from crmcli.git.sources import (
    GitSource,
    IndexSource,
    merge_base,
    resolve_commit,
    working_tree_changes,
)
from crmcli.i18n import _, ngettext

ADDED, REMOVED, RENAMED, CHANGED = "added", "removed", "renamed", "changed"
SPECIAL_KEYS = ("list", "tags", "history")  # shown as a move, tags ± and history entries
FileStatus = tuple[str, str, str | None]  # (git status letter, path, old path)
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
    status: str  # ADDED, REMOVED, RENAMED or CHANGED
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
    computed: list[ValueChange] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)  # problems of the record on either side

    @property
    def ref(self) -> str:
        return f"{self.project}/{self.id}"

    @property
    def label(self) -> str:
        return f"{self.record_name} “{self.name}”"

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
            or self.computed
            or self.flags
        )


@dataclass(frozen=True, slots=True)
class PipelineFigures:
    """A pipeline project's open value and weighted forecast on each side."""

    project: str
    name: str
    pipeline_before: float
    pipeline_after: float
    weighted_before: float
    weighted_after: float


@dataclass(slots=True)
class Review:
    base: str
    target: str
    records: list[RecordChange]
    other_files: list[FileStatus]
    pipelines: list[PipelineFigures]
    totals: bool  # the pipelines cover every deal (else the changed ones)
    formatter: Formatter

    @property
    def is_empty(self) -> bool:
        return not self.records and not self.other_files


@dataclass(slots=True)
class Found:
    """A record file as one side has it: the record, or None when it cannot be read."""

    project: Project
    record_id: str
    record: Record | None
    flags: list[str]


class Side:
    """One state of the workspace, loaded lazily; records are read when asked for."""

    def __init__(self, root: Path, source: FileSource, today: date | None = None) -> None:
        self.source = source
        self.label = source.label
        self.loader = Loader(root, source)
        self.workspace = self.loader.load(lazy=True)
        self.engine = Engine(self.workspace, self.loader.log, today, Reach.NAMED_RECORDS)
        self.formatter = Formatter.for_workspace(self.workspace.config)
        self.presenter = Presenter(self.workspace, self.engine, self.formatter)
        self._checkers: dict[str, RecordChecker] = {}

    def locate(self, path: str) -> tuple[Project, str] | None:
        """The project and id of a record file path, or None for any other file."""
        folder, slash, name = path.partition("/")
        if not slash or "/" in name or not name.endswith(".yaml") or name.startswith("_"):
            return None
        project = self.workspace.projects.get(folder)
        return (project, name[: -len(".yaml")]) if project is not None else None

    def read(self, path: str) -> Found | None:
        """The record at `path` on this side; None when this side has no such record file."""
        located = self.locate(path)
        if located is None or not self.source.is_file(path):
            return None
        project, record_id = located
        record = project.records.get(record_id)
        flags = [
            _("line {line}: {message}").format(line=p.line, message=p.message)
            for p in self.loader.log.problems
            if p.path == path and p.severity is Severity.ERROR
        ]
        return Found(project, record_id, record, flags)

    def complete(self, found: Found) -> None:
        """Check the record and compute its formulas and lookups."""
        if found.record is not None:
            found.flags.extend(self._issues(found.project, found.record))
            self.engine.compute_record(found.project, found.record)

    def prefetch_references(self, founds: Iterable[Found | None]) -> None:
        """Read the records these records refer to in one go (a revision answers a batch of
        questions much faster than one at a time)."""
        prefetch = getattr(self.source, "prefetch", None)
        if prefetch is None:
            return
        paths = []
        for found in founds:
            if found is None or found.record is None:
                continue
            for key, definition in found.project.fields.items():
                target = self.engine.target_of(found.project, key)
                if definition.type == "reference" and target is not None:
                    value = found.record.data.get(key)
                    paths.extend(f"{target.key}/{i}.yaml" for i in reference_ids(value))
        prefetch(paths, MAX_RECORD_BYTES)

    def _issues(self, project: Project, record: Record) -> list[str]:
        checker = self._checkers.get(project.key)
        if checker is None:
            checker = RecordChecker(FieldContext(self.workspace, project))
            self._checkers[project.key] = checker
        prefix = project.record_label(record) + ": "
        return [
            issue.message.removeprefix(prefix)
            for issue in checker.issues(record)
            if issue.severity is Severity.ERROR
        ]


# comparing one record


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
    if visible("history"):
        _compare_history(change, before_side, after_side, old, new)
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


def _compare_history(
    change: RecordChange,
    before_side: Side,
    after_side: Side,
    old: dict[str, Any],
    new: dict[str, Any],
) -> None:
    """Entries added to or removed from the list history (`crm move` appends one)."""
    old_history = old.get("history") if isinstance(old.get("history"), list) else []
    new_history = new.get("history") if isinstance(new.get("history"), list) else []
    change.history_added = [
        after_side.presenter.history_entry(entry)
        for entry in new_history
        if entry not in old_history
    ]
    change.history_removed = [
        before_side.presenter.history_entry(entry)
        for entry in old_history
        if entry not in new_history
    ]


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


# the pipeline summary


def _pipelines(
    before: Side,
    after: Side,
    pairs: Sequence[tuple[Found | None, Found | None]],
    totals: bool,
    hidden: frozenset[str],
) -> list[PipelineFigures]:
    figures = []
    for key, project in after.workspace.projects.items():
        old_project = before.workspace.projects.get(key)
        value = deals.value_field(project)
        hides_value = value is None or f"{key}.{value.key}" in hidden
        if hides_value or not deals.is_pipeline(project):
            continue
        if totals:
            old_records = list(old_project.records.values()) if old_project else []
            new_records = list(project.records.values())
        else:
            old_records = [b.record for b, _a in pairs if b and b.record and b.project.key == key]
            new_records = [a.record for _b, a in pairs if a and a.record and a.project.key == key]
            if not old_records and not new_records:
                continue
        old_total, old_weighted = (
            deals.pipeline_value(before.engine, old_project, old_records) if old_project else (0, 0)
        )
        new_total, new_weighted = deals.pipeline_value(after.engine, project, new_records)
        if not any((old_total, new_total, old_weighted, new_weighted)):
            continue  # no open deal changed
        figures.append(
            PipelineFigures(key, project.name, old_total, new_total, old_weighted, new_weighted)
        )
    return figures


# a whole review


@dataclass(frozen=True, slots=True)
class Range:
    """What to compare: a base revision and a target (a revision, the index or the files)."""

    base: str
    target: str | None  # None: the working tree, or the index when staged
    staged: bool = False
    base_label: str | None = None  # how to name the base when it is not what was typed


def parse_range(root: Path, text: str | None, staged: bool = False) -> Range:
    """`A..B`, `A...B` (from their merge base), `REV` (against the working tree), or nothing."""
    if text is None or not text.strip():
        return Range("HEAD", None, staged)
    text = text.strip()
    if "..." in text:
        left, _dots, right = text.partition("...")
        left, right = left or "HEAD", right or "HEAD"
        base = merge_base(root, resolve_commit(root, left), resolve_commit(root, right))
        if base is None:
            raise CrmError(
                _("{left} and {right} have no common history here").format(left=left, right=right)
            )
        target = right
        _refuse_staged(staged, text)
        label = _("the merge base of {left} and {right}").format(left=left, right=right)
        return Range(base, target, base_label=label)
    if ".." in text:
        left, _dots, right = text.partition("..")
        _refuse_staged(staged, text)
        return Range(left or "HEAD", right or "HEAD")
    return Range(text, None, staged)


def _refuse_staged(staged: bool, text: str) -> None:
    if staged:
        raise UsageError(
            _("--staged compares a revision with the index, not a range like {range}").format(
                range=text
            )
        )


def open_review(
    root: Path,
    revisions: str | None = None,
    staged: bool = False,
    totals: bool = False,
    acting_as: str | None = None,
    role_name: str | None = None,
) -> Review:
    """Compare two states of the workspace at `root` (see `parse_range`), leaving out what
    the reader (`identify_reader`) may not see."""
    require_repository(root)
    chosen = parse_range(root, revisions, staged)
    base_source = GitSource(root, chosen.base)
    base_source.label = chosen.base_label or base_source.label
    target_source: FileSource
    if chosen.target is not None:
        target_source = GitSource(root, chosen.target)
        changes = target_source.changed_files(base_source.commit)
    elif chosen.staged:
        target_source = IndexSource(root)
        changes = target_source.changed_files(base_source.commit)
    else:
        target_source = DiskSource(root)
        target_source.label = _("working tree")
        changes = working_tree_changes(root, base_source.commit)
    base = Side(root, base_source)
    today = workspace_now(base.workspace).date()
    base.engine.today = today
    target = Side(root, target_source, today)
    base_source.prefetch(
        (p for _s, path, old in changes if base.locate(p := old or path)), MAX_RECORD_BYTES
    )
    if isinstance(target_source, GitSource):
        target_source.prefetch((p for _s, p, _o in changes if target.locate(p)), MAX_RECORD_BYTES)
    reader = identify_reader(target.workspace, (base.engine, target.engine), acting_as, role_name)
    return build_review(base, target, changes, totals, reader.hidden)


def require_repository(root: Path) -> None:
    """CrmError unless the workspace is inside a git work tree."""
    inside = git(root, "rev-parse", "--is-inside-work-tree", check=False).strip()
    if inside != "true":
        raise CrmError(
            _("{path} is not inside a git repository: there are no revisions to compare").format(
                path=root
            )
        )


def build_review(
    before: Side,
    after: Side,
    changes: Sequence[FileStatus],
    totals: bool = False,
    hidden: frozenset[str] = frozenset(),
) -> Review:
    pairs: list[tuple[Found | None, Found | None]] = []
    other: list[FileStatus] = []
    for status, path, old_path in changes:
        old = before.read(old_path or path)
        new = after.read(path)
        is_record = before.locate(old_path or path) or after.locate(path)
        if (old is None and new is None) or not is_record:
            other.append((status, path, old_path))
        else:
            pairs.append((old, new))
    pairs = _pair_renames(pairs)
    for side, founds in ((before, [old for old, _new in pairs]), (after, [n for _o, n in pairs])):
        side.prefetch_references(founds)
        for found in founds:
            if found is not None:
                side.complete(found)
    records = [compare_records(before, old, after, new, hidden) for old, new in pairs]
    records = [r for r in records if not r.is_empty]
    order = {key: index for index, key in enumerate(after.workspace.projects)}
    records.sort(key=lambda r: (order.get(r.project, len(order)), r.ref))
    return Review(
        base=before.label,
        target=after.label,
        records=records,
        other_files=sorted(other, key=lambda item: item[1]),
        pipelines=_pipelines(before, after, pairs, totals, hidden),
        totals=totals,
        formatter=after.formatter,
    )


def _pair_renames(
    pairs: list[tuple[Found | None, Found | None]],
) -> list[tuple[Found | None, Found | None]]:
    """A record removed and one added in the same project with the same content is a rename
    that git did not see (e.g. a new file not yet added to git)."""
    removed = [old for old, new in pairs if new is None and old and old.record]
    result = [(old, new) for old, new in pairs if not (new is None and old and old.record)]
    for index, (old, new) in enumerate(result):
        if old is not None or new is None or new.record is None:
            continue
        for candidate in removed:
            if (
                candidate.project.key == new.project.key
                and candidate.record is not None
                and candidate.record.data == new.record.data
            ):
                result[index] = (candidate, new)
                removed.remove(candidate)
                break
    return result + [(old, None) for old in removed]


def summary_line(review: Review) -> str:
    if review.is_empty:
        return _("nothing changed")
    counts = {
        status: sum(1 for r in review.records if r.status == status)
        for status in (ADDED, REMOVED, RENAMED, CHANGED)
    }
    parts = [
        ngettext("{n} record added", "{n} records added", counts[ADDED]).format(n=counts[ADDED]),
        ngettext("{n} changed", "{n} changed", counts[CHANGED]).format(n=counts[CHANGED]),
        ngettext("{n} renamed", "{n} renamed", counts[RENAMED]).format(n=counts[RENAMED]),
        ngettext("{n} removed", "{n} removed", counts[REMOVED]).format(n=counts[REMOVED]),
    ]
    return ", ".join(parts)


# rendering


class Style:
    """ANSI colours, or nothing when the output is not a terminal."""

    def __init__(self, colour: bool) -> None:
        self.colour = colour

    def _wrap(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.colour and text else text

    def bold(self, text: str) -> str:
        return self._wrap("1", text)

    def added(self, text: str) -> str:
        return self._wrap("32", text)

    def removed(self, text: str) -> str:
        return self._wrap("31", text)

    def moved(self, text: str) -> str:
        return self._wrap("36", text)

    def warning(self, text: str) -> str:
        return self._wrap("33", text)


_MARKS = {ADDED: "+", REMOVED: "-", RENAMED: "→", CHANGED: "~"}
_DASH = "—"


def _value(text: str) -> str:
    return text or _DASH


def render_text(review: Review, colour: bool = False) -> str:
    style = Style(colour)
    lines = [
        style.bold(
            _("Changes from {base} to {target}: {summary}").format(
                base=review.base, target=review.target, summary=summary_line(review)
            )
        )
    ]
    project = None
    for change in review.records:
        if change.project != project:
            project = change.project
            lines.extend(["", style.bold(change.project_name)])
        lines.extend(_text_record(change, style))
    if review.other_files:
        lines.extend(["", style.bold(_("Other files"))])
        lines.extend(
            f"  {status} {_file_label(path, old)}" for status, path, old in review.other_files
        )
    if review.pipelines:
        lines.extend(["", style.bold(_pipeline_title(review))])
        for figures in review.pipelines:
            lines.extend(_text_pipeline(figures, review.formatter))
    return "\n".join(lines) + "\n"


def _file_label(path: str, old: str | None) -> str:
    return f"{old} → {path}" if old else path


def _headline(change: RecordChange) -> str:
    if change.status == ADDED:
        where = _(" in {list}").format(list=change.list_after) if change.list_after else ""
        return _("new {label} ({ref}){where}").format(
            label=change.label, ref=change.ref, where=where
        )
    if change.status == REMOVED:
        return _("removed {label} ({ref})").format(label=change.label, ref=change.ref)
    if change.status == RENAMED:
        return _("{label} renamed {old} → {new}").format(
            label=change.label, old=change.old_ref, new=change.ref
        )
    return f"{change.label} ({change.ref})"


def _text_record(change: RecordChange, style: Style) -> list[str]:
    paint = {ADDED: style.added, REMOVED: style.removed}.get(change.status, style.bold)
    headline = paint(f"  {_MARKS[change.status]} {_headline(change)}")
    return [headline, *("      " + line for line in text_details(change, style))]


def text_details(change: RecordChange, style: Style) -> list[str]:
    """The lines under a record's headline: move, tags, fields, history, computed, problems."""
    lines = []
    if change.moved:
        lines.append(
            style.moved(
                _("list: {before} → {after}").format(
                    before=_value(change.list_before or ""), after=_value(change.list_after or "")
                )
            )
        )
    if change.tags_added or change.tags_removed:
        tags = [style.added("+" + t) for t in change.tags_added]
        tags += [style.removed("-" + t) for t in change.tags_removed]
        lines.append(_("tags: {tags}").format(tags=" ".join(tags)))
    for value in change.fields:
        lines.append(f"{_text_value(value, change.status, style)}")
    lines.extend(
        _("history: {entry}").format(entry=style.added("+ " + entry))
        for entry in change.history_added
    )
    lines.extend(
        _("history: {entry}").format(entry=style.removed("- " + entry))
        for entry in change.history_removed
    )
    for value in change.computed:
        lines.append(_text_value(value, change.status, style, suffix=" " + _("(computed)")))
    lines.extend(style.warning("⚠ " + flag) for flag in change.flags)
    return lines


def _text_value(value: ValueChange, status: str, style: Style, suffix: str = "") -> str:
    label = value.label + suffix
    if status == ADDED or not value.before:
        return f"{label}: {style.added(_value(value.after))}"
    if status == REMOVED:
        return f"{label}: {style.removed(value.before)}"
    return f"{label}: {style.removed(_value(value.before))} → {style.added(_value(value.after))}"


def _pipeline_title(review: Review) -> str:
    if review.totals:
        return _("Pipeline (every deal)")
    return _("Pipeline (the changed deals; the difference is the whole pipeline's)")


def _signed(formatter: Formatter, amount: float) -> str:
    text = formatter.money(abs(amount))
    return ("+" if amount >= 0 else "−") + text


def _text_pipeline(figures: PipelineFigures, formatter: Formatter) -> list[str]:
    money = formatter.money
    return [
        f"  {figures.name}",
        "    "
        + _("pipeline value: {before} → {after} ({delta})").format(
            before=money(figures.pipeline_before),
            after=money(figures.pipeline_after),
            delta=_signed(formatter, figures.pipeline_after - figures.pipeline_before),
        ),
        "    "
        + _("weighted forecast: {before} → {after} ({delta})").format(
            before=money(figures.weighted_before),
            after=money(figures.weighted_after),
            delta=_signed(formatter, figures.weighted_after - figures.weighted_before),
        ),
    ]


def _md(text: str) -> str:
    """Text inside Markdown: characters that would format or break a table are escaped."""
    for char in "\\`*_[]<>|#":
        text = text.replace(char, "\\" + char)
    return text


def render_markdown(review: Review) -> str:
    lines = [
        "### "
        + _("CRM changes from {base} to {target}").format(
            base=f"`{review.base}`", target=f"`{review.target}`"
        ),
        "",
        summary_line(review),
    ]
    project = None
    for change in review.records:
        if change.project != project:
            project = change.project
            lines.extend(["", f"**{_md(change.project_name)}**", ""])
        lines.extend(_markdown_record(change))
    if review.other_files:
        lines.extend(["", f"**{_('Other files')}**", ""])
        lines.extend(
            f"- {status} `{_file_label(path, old)}`" for status, path, old in review.other_files
        )
    if review.pipelines:
        lines.extend(["", f"**{_md(_pipeline_title(review))}**", ""])
        lines.extend(_markdown_pipelines(review))
    return "\n".join(lines) + "\n"


def _markdown_record(change: RecordChange) -> list[str]:
    headline = {
        ADDED: _("**New** {label}"),
        REMOVED: _("**Removed** {label}"),
        RENAMED: _("{label} renamed from `{old}`"),
        CHANGED: "{label}",
    }[change.status].format(label=f"**{_md(change.label)}**", old=change.old_ref)
    lines = [f"- {headline} (`{change.ref}`)"]
    if change.status == ADDED and change.list_after:
        lines.append("  - " + _("list: {list}").format(list=_md(change.list_after)))
    if change.moved:
        lines.append(
            "  - "
            + _("list: {before} → {after}").format(
                before=_md(change.list_before or _DASH),
                after=f"**{_md(change.list_after or _DASH)}**",
            )
        )
    if change.tags_added or change.tags_removed:
        tags = [f"+{_md(t)}" for t in change.tags_added] + [
            f"−{_md(t)}" for t in change.tags_removed
        ]
        lines.append("  - " + _("tags: {tags}").format(tags=" ".join(tags)))
    for value in change.fields:
        lines.append("  - " + _markdown_value(value, change.status))
    lines.extend(
        "  - " + _("history: {entry}").format(entry="+ " + _md(entry))
        for entry in change.history_added
    )
    lines.extend(
        "  - " + _("history: {entry}").format(entry="~~" + _md(entry) + "~~")
        for entry in change.history_removed
    )
    for value in change.computed:
        lines.append("  - " + _markdown_value(value, change.status, " " + _("(computed)")))
    lines.extend("  - ⚠️ " + _md(flag) for flag in change.flags)
    return lines


def _markdown_value(value: ValueChange, status: str, suffix: str = "") -> str:
    label = _md(value.label + suffix)
    if status == REMOVED:
        return f"{label}: ~~{_md(value.before)}~~"
    if status == ADDED or not value.before:
        return f"{label}: **{_md(_value(value.after))}**"
    return f"{label}: {_md(value.before)} → **{_md(_value(value.after))}**"


def _markdown_pipelines(review: Review) -> list[str]:
    money = review.formatter.money
    lines = [
        "| "
        + " | ".join(
            [_("Project"), _("Pipeline value"), _("Change"), _("Weighted forecast"), _("Change")]
        )
        + " |",
        "|---|---:|---:|---:|---:|",
    ]
    for f in review.pipelines:
        cells = [
            _md(f.name),
            f"{money(f.pipeline_before)} → {money(f.pipeline_after)}",
            _signed(review.formatter, f.pipeline_after - f.pipeline_before),
            f"{money(f.weighted_before)} → {money(f.weighted_after)}",
            _signed(review.formatter, f.weighted_after - f.weighted_before),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def review_data(review: Review) -> dict[str, Any]:
    """The review as JSON-ready data (raw values next to the formatted ones)."""
    return {
        "base": review.base,
        "target": review.target,
        "records": [record_data(r) for r in review.records],
        "other_files": [
            {"status": status, "path": path, "old_path": old}
            for status, path, old in review.other_files
        ],
        "pipeline": {
            "scope": "all" if review.totals else "changed",
            "projects": [
                {
                    "project": f.project,
                    "pipeline_value": {"before": f.pipeline_before, "after": f.pipeline_after},
                    "weighted_forecast": {"before": f.weighted_before, "after": f.weighted_after},
                }
                for f in review.pipelines
            ],
        },
    }


def record_data(change: RecordChange) -> dict[str, Any]:
    def values(items: list[ValueChange]) -> list[dict[str, Any]]:
        return [
            {
                "field": v.field,
                "label": v.label,
                "before": v.old,
                "after": v.new,
                "before_text": v.before,
                "after_text": v.after,
            }
            for v in items
        ]

    return {
        "status": change.status,
        "ref": change.ref,
        "old_ref": change.old_ref,
        "name": change.name,
        "list": {"before": change.list_before, "after": change.list_after},
        "moved": change.moved,
        "tags": {"added": change.tags_added, "removed": change.tags_removed},
        "fields": values(change.fields),
        "history": {"added": change.history_added, "removed": change.history_removed},
        "computed": values(change.computed),
        "problems": change.flags,
    }


__all__ = [
    "Found",
    "PipelineFigures",
    "RecordChange",
    "Review",
    "Side",
    "ValueChange",
    "build_review",
    "compare_records",
    "open_review",
    "render_markdown",
    "render_text",
    "review_data",
]
