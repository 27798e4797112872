"""The pipeline summary of a review: each pipeline project's open value and weighted forecast
on both sides, through `engine/deals.py`.

It sums the pipeline over the changed records: unchanged deals count the same on both sides,
so its difference is the whole pipeline's change. `totals=True` reads every deal of both sides
for absolute figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from crmcli.engine import deals
from crmcli.fields.formatting import Formatter
from crmcli.i18n import _
from crmcli.review.sides import Found, Side


@dataclass(frozen=True, slots=True)
class PipelineFigures:
    """A pipeline project's open value and weighted forecast on each side."""

    project: str
    name: str
    pipeline_before: float
    pipeline_after: float
    weighted_before: float
    weighted_after: float


def pipeline_figures(
    before: Side,
    after: Side,
    pairs: Sequence[tuple[Found | None, Found | None]],
    totals: bool,
    hidden: frozenset[str],
) -> list[PipelineFigures]:
    """The figures of every pipeline project whose open deals changed; a project whose value
    field the reader may not see is left out."""
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


def pipeline_title(totals: bool) -> str:
    """The heading says which deals the figures cover, so no one reads a part as the whole."""
    if totals:
        return _("Pipeline (every deal)")
    return _("Pipeline (the changed deals; the difference is the whole pipeline's)")


def signed_change(formatter: Formatter, amount: float) -> str:
    """A difference of money with its sign in front (+, or a true minus before the amount)."""
    text = formatter.money(abs(amount))
    return ("+" if amount >= 0 else "−") + text
