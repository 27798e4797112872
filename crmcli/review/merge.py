"""Merging two branches' edits of one record, field by field (git's `merge=crm` driver).

A field changed on one side only takes that side's value, so two people editing different
fields of a deal never conflict. Tags merge as sets (each side's additions and removals) and
history entries as the union of both sides' new entries, in time order. A field changed two
different ways is a conflict: the file keeps our value between git's conflict markers next to
theirs, and the message says in business words what each side did.

The result is written into our version of the file (git's %A) through the round-trip writer,
so comments and layout survive. When a version is not a readable record, git's own line merge
(`git merge-file`) runs instead, so nothing is ever lost.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crmcli.core.model import Project
from crmcli.core.sources import DiskSource
from crmcli.core.yamlio import YamlReadError, decode_text, parse
from crmcli.editing.atomic import write_atomically
from crmcli.editing.canonical import keys_before
from crmcli.editing.writer import RecordFile
from crmcli.engine.reader import Reader, identify_reader
from crmcli.git.run import git, merge_file
from crmcli.i18n import _, quoted
from crmcli.review.sides import Side
from crmcli.secrets.cipher import SealError, is_sealed

_ABSENT = object()


@dataclass(frozen=True, slots=True)
class Conflict:
    key: str
    base: Any
    ours: Any
    theirs: Any


@dataclass(slots=True)
class Merged:
    values: dict[str, Any] = field(default_factory=dict)  # key → value, _ABSENT: remove it
    conflicts: list[Conflict] = field(default_factory=list)


def merge_values(base: dict, ours: dict, theirs: dict) -> Merged:
    """What the merged record should hold where it differs from ours, and the conflicts."""
    merged = Merged()
    for key in dict.fromkeys([*ours, *theirs, *base]):
        b, o, t = (side.get(key, _ABSENT) for side in (base, ours, theirs))
        if o == t or t == b:
            continue  # ours already holds the result
        if o == b:
            merged.values[key] = t
        elif key == "tags" and all(isinstance(v, list) for v in (o, t)):
            merged.values[key] = _merge_set(b if isinstance(b, list) else [], o, t)
        elif key == "history" and all(isinstance(v, list) for v in (o, t)):
            combined = _merge_history(b if isinstance(b, list) else [], o, t)
            if combined is None:
                merged.conflicts.append(Conflict(key, b, o, t))
            else:
                merged.values[key] = combined
        else:
            merged.conflicts.append(Conflict(key, b, o, t))
    return merged


def _merge_set(base: list, ours: list, theirs: list) -> list:
    added = [item for item in theirs if item not in base and item not in ours]
    removed = [item for item in base if item not in theirs]
    return [item for item in ours if item not in removed] + added


def _merge_history(base: list, ours: list, theirs: list) -> list | None:
    """Both sides' appended entries, in time order; None when a side rewrote old entries."""
    if ours[: len(base)] != base or theirs[: len(base)] != base:
        return None
    new = ours[len(base) :] + [e for e in theirs[len(base) :] if e not in ours]
    moments = [e.get("at") if isinstance(e, dict) else None for e in new]
    if all(m is not None for m in moments):
        with contextlib.suppress(TypeError):  # dates of different kinds: ours, then theirs
            new = [e for _m, e in sorted(zip(moments, new, strict=True), key=lambda p: p[0])]
    return base + new


# the git driver


@dataclass(slots=True)
class DriverResult:
    conflicts: list[str]  # in business words


def merge_driver(
    root: Path, base: Path, ours: Path, theirs: Path, path: str, marker_size: int = 7
) -> DriverResult:
    """Merge into `ours` (git's %A); `path` is the file's path in the repository."""
    try:
        datas = [_read_mapping(p) for p in (base, ours, theirs)]
    except YamlReadError:
        return line_merge(base, ours, theirs, marker_size)
    side = Side(root, DiskSource(root))
    located = side.locate(_workspace_path(root, path))
    if located is None:
        return line_merge(base, ours, theirs, marker_size)
    project, record_id = located
    merged = merge_values(*datas)
    document = RecordFile(ours, path, ours.read_text(encoding="utf-8"))
    theirs_document = RecordFile(theirs, path, theirs.read_text(encoding="utf-8"))
    for key, value in merged.values.items():
        if value is _ABSENT:
            document.delete(key)
        elif value == datas[2].get(key, _ABSENT):  # take their node: it keeps their quoting
            document.set(key, theirs_document.get(key), after=keys_before(project, key))
        else:
            nodes = _nodes(
                value,
                (datas[1].get(key), document.get(key)),
                (datas[2].get(key), theirs_document.get(key)),
            )
            document.set(key, nodes, after=keys_before(project, key))
    text = (
        _mark_conflicts(document, theirs_document, merged.conflicts, marker_size, project)
        if merged.conflicts
        else document.render()
    )
    write_atomically(ours, text, document.original_sha)
    name = datas[1].get("name") or datas[2].get("name") or record_id
    label = f"{project.record_name} {quoted(name)}"
    reader = identify_reader(side.workspace, side.engine)
    return DriverResult([_describe(side, reader, project, label, c) for c in merged.conflicts])


def _nodes(items: list, *sides: tuple[Any, Any]) -> Any:
    """A merged list built from the sides' own YAML nodes (history entries stay flow
    mappings), in the style of our list."""
    from ruamel.yaml.comments import CommentedSeq

    result = CommentedSeq()
    for item in items:
        node = item
        for plain, document_nodes in sides:
            if isinstance(plain, list) and item in plain and document_nodes is not None:
                node = document_nodes[plain.index(item)]
                break
        result.append(node)
    ours_nodes = sides[0][1]
    if isinstance(ours_nodes, CommentedSeq) and ours_nodes.fa.flow_style():
        result.fa.set_flow_style()
    else:
        result.fa.set_block_style()
    return result


def _read_mapping(path: Path) -> dict:
    """A version's fields; YamlReadError when it is no record the round-trip writer takes."""
    raw = path.read_bytes()
    if not raw.strip():
        return {}  # a side that does not have the file
    document = parse(decode_text(raw))
    if not isinstance(document.data, dict) or document.duplicates:
        raise YamlReadError("not-a-record", _("not a mapping of fields"))
    return document.data


def _workspace_path(root: Path, path: str) -> str:
    top = Path(git(root, "rev-parse", "--show-toplevel").strip()).resolve()
    absolute = top / path
    try:
        return absolute.relative_to(root.resolve()).as_posix()
    except ValueError:
        return path


def line_merge(base: Path, ours: Path, theirs: Path, marker_size: int) -> DriverResult:
    """git's own line merge into `ours`, for files that cannot be merged field by field."""
    conflicted = merge_file(ours, base, theirs, (_("ours"), _("base"), _("theirs")), marker_size)
    conflicts = [_("the file is not a readable record: its lines were merged")] * (conflicted > 0)
    return DriverResult(conflicts)


def _mark_conflicts(
    document: RecordFile,
    theirs_document: RecordFile,
    conflicts: list[Conflict],
    marker_size: int,
    project: Project,
) -> str:
    """Our value of each conflicting field between markers, next to theirs."""
    ours_nodes = {c.key: document.get(c.key) for c in conflicts}
    placeholders = {}
    for conflict in conflicts:
        token = f"crm-conflict-{uuid.uuid4().hex}"
        placeholders[token] = conflict
        document.set(conflict.key, token, after=keys_before(project, conflict.key))
    lines = []
    for line in document.render().splitlines(keepends=True):
        token = next((t for t in placeholders if t in line), None)
        if token is None:
            lines.append(line)
            continue
        conflict = placeholders[token]
        lines.append("<" * marker_size + " " + _("ours") + "\n")
        lines.append(_key_text(document, conflict.key, conflict.ours, ours_nodes[conflict.key]))
        lines.append("=" * marker_size + "\n")
        theirs_node = theirs_document.get(conflict.key)
        lines.append(_key_text(theirs_document, conflict.key, conflict.theirs, theirs_node))
        lines.append(">" * marker_size + " " + _("theirs") + "\n")
    return "".join(lines)


def _key_text(document: RecordFile, key: str, value: Any, node: Any) -> str:
    """`key: value` as one side writes it ('' when that side removed the field)."""
    if value is _ABSENT:
        return ""
    single = RecordFile(document.path, document.relative, None)
    single.set(key, node if node is not None else value)
    return single.render()


def _describe(side: Side, reader: Reader, project: Project, label: str, conflict: Conflict) -> str:
    """The conflict in business words; both values only for a reader who may see the field."""
    definition = project.fields.get(conflict.key)
    field_label = definition.label if definition else conflict.key
    if not reader.may_see(project.key, conflict.key):
        return _(
            "{record}: {field} was changed two ways; the values are not shown, as your role "
            "may not see this field."
        ).format(record=label, field=field_label)

    def shown(value: Any) -> str:
        if value is _ABSENT:
            return _("removed")
        if is_sealed(value):
            try:
                value = side.workspace.sealing.open(f"{project.key}.{conflict.key}", value)
            except SealError:
                return _("(encrypted)")
        return side.presenter.value(project, conflict.key, value) or "—"

    return _(
        "{record}: {field} was changed two ways — {ours} here, {theirs} on the other branch "
        "(it was {base})"
    ).format(
        record=label,
        field=field_label,
        ours=shown(conflict.ours),
        theirs=shown(conflict.theirs),
        base=shown(conflict.base) if conflict.base is not _ABSENT else _("not set"),
    )
