"""`crm diff` as text for a terminal (ANSI colours when it is one); `crm log` reuses the lines
under a record's headline (`text_details`)."""

from __future__ import annotations

from crmcli.core.terminal import visible
from crmcli.fields.formatting import Formatter
from crmcli.i18n import _, counted, ngettext
from crmcli.review.changes import (
    ADDED,
    CHANGED,
    MERGED,
    REMOVED,
    RENAMED,
    RecordChange,
    ValueChange,
)
from crmcli.review.diff import Review, summary_line
from crmcli.review.pipeline import PipelineFigures, pipeline_title, signed_change


class Style:
    """ANSI colours, or nothing when the output is not a terminal. What it styles is shown with
    its control characters as escapes, and so is what `plain` returns: record values pass through
    one of them before our own colour codes are added."""

    def __init__(self, colour: bool) -> None:
        self.colour = colour

    def _wrap(self, code: str, text: str) -> str:
        text = visible(text)
        return f"\x1b[{code}m{text}\x1b[0m" if self.colour and text else text

    def plain(self, text: str) -> str:
        return visible(text)

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


_MARKS = {ADDED: "+", REMOVED: "-", RENAMED: "→", CHANGED: "~", MERGED: "⇒"}
DASH = "—"


def or_dash(text: str) -> str:
    """An empty value shows as a dash, so that `before → after` always has two sides."""
    return text or DASH


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
            f"  {status} {style.plain(file_label(path, old))}"
            for status, path, old in review.other_files
        )
    if review.pipelines:
        lines.extend(["", style.bold(pipeline_title(review.totals))])
        for figures in review.pipelines:
            lines.extend(style.plain(line) for line in _text_pipeline(figures, review.formatter))
    return "\n".join(lines) + "\n"


def file_label(path: str, old: str | None) -> str:
    """A file that is not a record, with its old path when git saw it renamed."""
    return f"{old} → {path}" if old else path


def _headline(change: RecordChange) -> str:
    if change.status == ADDED:
        message = (
            _("new {label} ({ref}) in {list}") if change.list_after else _("new {label} ({ref})")
        )
        return message.format(label=change.label, ref=change.ref, list=change.list_after)
    if change.status == REMOVED:
        return _("removed {label} ({ref})").format(label=change.label, ref=change.ref)
    if change.status == MERGED:
        return merge_headline(change)
    if change.status == RENAMED:
        return _("{label} renamed {old} → {new}").format(
            label=change.label, old=change.old_ref, new=change.ref
        )
    return f"{change.label} ({change.ref})"


def merge_headline(change: RecordChange) -> str:
    """merged Company “SOCIETE GENERALE” (clients/societe-generale-2) into clients/societe-generale,
    3 records re-pointed."""
    return ngettext(
        "merged {label} ({ref}) into {kept}, {count} record re-pointed",
        "merged {label} ({ref}) into {kept}, {count} records re-pointed",
        change.repointed,
    ).format(
        label=change.label, ref=change.ref, kept=change.merged_into, count=counted(change.repointed)
    )


def _text_record(change: RecordChange, style: Style) -> list[str]:
    paint = {ADDED: style.added, REMOVED: style.removed}.get(change.status, style.bold)
    headline = paint(f"  {_MARKS[change.status]} {_headline(change)}")
    if change.status == MERGED:  # one event: what it held is now the kept record's
        return [headline]
    return [headline, *("      " + line for line in text_details(change, style))]


def text_details(change: RecordChange, style: Style) -> list[str]:
    """The lines under a record's headline: move, tags, fields, history, computed, problems."""
    lines = []
    if change.moved:
        lines.append(
            style.moved(
                _("list: {before} → {after}").format(
                    before=or_dash(change.list_before or ""), after=or_dash(change.list_after or "")
                )
            )
        )
    if change.tags_added or change.tags_removed:
        tags = [style.added("+" + t) for t in change.tags_added]
        tags += [style.removed("-" + t) for t in change.tags_removed]
        lines.append(_("tags: {tags}").format(tags=" ".join(tags)))
    for value in change.fields:
        lines.append(f"{_text_value(value, change.status, style)}")
    lines.extend(_("{field} changed").format(field=label) for label in change.hidden_changed)
    lines.extend(
        _("history: {entry}").format(entry=style.added("+ " + entry))
        for entry in change.history_added
    )
    lines.extend(
        _("history: {entry}").format(entry=style.removed("- " + entry))
        for entry in change.history_removed
    )
    lines.extend(
        _("activity: {entry}").format(entry=style.added("+ " + entry))
        for entry in change.activities_added
    )
    lines.extend(
        _("activity: {entry}").format(entry=style.removed("- " + entry))
        for entry in change.activities_removed
    )
    for value in change.computed:
        lines.append(_text_value(value, change.status, style, suffix=" " + _("(computed)")))
    lines.extend(style.warning("⚠ " + flag) for flag in change.flags)
    return lines


def _text_value(value: ValueChange, status: str, style: Style, suffix: str = "") -> str:
    label = style.plain(value.label + suffix)
    if status == ADDED or not value.before:
        return f"{label}: {style.added(or_dash(value.after))}"
    if status == REMOVED:
        return f"{label}: {style.removed(value.before)}"
    return f"{label}: {style.removed(or_dash(value.before))} → {style.added(or_dash(value.after))}"


def _text_pipeline(figures: PipelineFigures, formatter: Formatter) -> list[str]:
    money = formatter.money
    return [
        f"  {figures.name}",
        "    "
        + _("pipeline value: {before} → {after} ({delta})").format(
            before=money(figures.pipeline_before),
            after=money(figures.pipeline_after),
            delta=signed_change(formatter, figures.pipeline_after - figures.pipeline_before),
        ),
        "    "
        + _("weighted forecast: {before} → {after} ({delta})").format(
            before=money(figures.weighted_before),
            after=money(figures.weighted_after),
            delta=signed_change(formatter, figures.weighted_after - figures.weighted_before),
        ),
    ]
