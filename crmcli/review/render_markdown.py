"""`crm diff --format markdown`: a review for a pull-request comment, with every character
that would format or break a table escaped."""

from __future__ import annotations

from crmcli.i18n import _
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
from crmcli.review.pipeline import pipeline_title, signed_change
from crmcli.review.render_text import DASH, file_label, merge_headline, or_dash


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
            f"- {status} `{file_label(path, old)}`" for status, path, old in review.other_files
        )
    if review.pipelines:
        lines.extend(["", f"**{_md(pipeline_title(review.totals))}**", ""])
        lines.extend(_markdown_pipelines(review))
    return "\n".join(lines) + "\n"


def _markdown_record(change: RecordChange) -> list[str]:
    if change.status == MERGED:  # one event: what it held is now the kept record's
        return [f"- **{_md(merge_headline(change))}**"]
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
                before=_md(change.list_before or DASH),
                after=f"**{_md(change.list_after or DASH)}**",
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
        "  - " + _("{field} changed").format(field=_md(label)) for label in change.hidden_changed
    )
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
        return f"{label}: **{_md(or_dash(value.after))}**"
    return f"{label}: {_md(value.before)} → **{_md(or_dash(value.after))}**"


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
            signed_change(review.formatter, f.pipeline_after - f.pipeline_before),
            f"{money(f.weighted_before)} → {money(f.weighted_after)}",
            signed_change(review.formatter, f.weighted_after - f.weighted_before),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines
