"""Semantic diffs: what changed between two states of a workspace, in business words.

`open_review` opens the two sides (`review/sides.py`), `build_review` pairs the changed record
files (renames git did not see included), compares each pair (`review/changes.py`) and sums
the pipeline (`review/pipeline.py`). The renderers (`review/render_*.py`) show the result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from crmcli.core.left_out import left_out_records
from crmcli.engine.reader import identify_reader
from crmcli.errors import Problem
from crmcli.fields.formatting import Formatter
from crmcli.i18n import _, counted, ngettext
from crmcli.i18n.lists import value_list
from crmcli.index.revisions import ReviewIndex
from crmcli.review.changes import (
    ADDED,
    CHANGED,
    MERGED,
    REMOVED,
    RENAMED,
    RecordChange,
    compare_records,
)
from crmcli.review.merges import fold_merges
from crmcli.review.pipeline import PipelineFigures, pipeline_figures
from crmcli.review.sides import (
    FileStatus,
    Found,
    Side,
    open_sides,
    parse_range,
    require_repository,
)


@dataclass(slots=True)
class Review:
    """Everything `crm diff` shows: changed records, other files, the pipeline summary."""

    base: str
    target: str
    records: list[RecordChange]
    other_files: list[FileStatus]
    pipelines: list[PipelineFigures]
    totals: bool  # the pipelines cover every deal (else the changed ones)
    formatter: Formatter
    left_out: list[Problem] = field(default_factory=list)  # --totals: records not read

    @property
    def is_empty(self) -> bool:
        return not self.records and not self.other_files


def open_review(
    root: Path,
    revisions: str | None = None,
    staged: bool = False,
    totals: bool = False,
    acting_as: str | None = None,
    role_name: str | None = None,
    cache: bool = True,
) -> Review:
    """Compare two states of the workspace at `root` (see `parse_range`), leaving out what
    the reader (`identify_reader`) may not see; record files are read through the index in
    `.crm/` unless `cache` is false (`--no-cache`)."""
    require_repository(root)
    chosen = parse_range(root, revisions, staged)
    # The working tree's rows pay for the scan that checks them only when every record is
    # read (--totals); otherwise what a diff reads of the working tree is what changed.
    every_file = totals and chosen.target is None and not chosen.staged
    index = ReviewIndex.open(root, cache, whole=every_file, working_tree=every_file)
    try:
        base, target, changes = open_sides(root, chosen, index)
        reader = identify_reader(
            target.workspace, (base.engine, target.engine), acting_as, role_name
        )
        review = build_review(base, target, changes, totals, reader.hidden)
        if index is not None:
            index.keep()
        return review
    finally:
        if index is not None:
            index.close()


def build_review(
    before: Side,
    after: Side,
    changes: Sequence[FileStatus],
    totals: bool = False,
    hidden: frozenset[str] = frozenset(),
) -> Review:
    """Compare the files `changes` names on both sides; records only where something shows."""
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
    records = [r for r in fold_merges(records, after.workspace) if not r.is_empty]
    order = {key: index for index, key in enumerate(after.workspace.projects)}
    records.sort(key=lambda r: (order.get(r.project, len(order)), r.ref))
    pipelines = pipeline_figures(before, after, pairs, totals, hidden)
    return Review(
        base=before.label,
        target=after.label,
        records=records,
        other_files=sorted(other, key=lambda item: item[1]),
        pipelines=pipelines,
        totals=totals,
        formatter=after.formatter,
        left_out=_left_out_of_totals(before, after) if totals else [],
    )


def _left_out_of_totals(before: Side, after: Side) -> list[Problem]:
    """The records the totals could not count, on either side, each named once."""
    found = {p.path: p for p in left_out_records(before.workspace)}
    found.update((p.path, p) for p in left_out_records(after.workspace))
    return list(found.values())


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
    """How many records were added, changed, renamed and removed: the headline of a review."""
    if review.is_empty:
        return _("nothing changed")
    counts = {
        status: sum(1 for r in review.records if r.status == status)
        for status in (ADDED, REMOVED, RENAMED, CHANGED, MERGED)
    }
    parts = [
        ngettext("{n} record added", "{n} records added", counts[ADDED]).format(
            n=counted(counts[ADDED])
        ),
        ngettext("{n} changed", "{n} changed", counts[CHANGED]).format(n=counted(counts[CHANGED])),
        ngettext("{n} renamed", "{n} renamed", counts[RENAMED]).format(n=counted(counts[RENAMED])),
        ngettext("{n} removed", "{n} removed", counts[REMOVED]).format(n=counted(counts[REMOVED])),
    ]
    if counts[MERGED]:
        parts.append(
            ngettext("{n} merged", "{n} merged", counts[MERGED]).format(n=counted(counts[MERGED]))
        )
    return value_list(parts)
