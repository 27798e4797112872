"""`crm remind` and `crm automate`, and the event rules that follow `crm add/move/set`."""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from crmcli.cli.left_out import StrictOption, name_left_out
from crmcli.cli.output import write_json
from crmcli.cli.reader import NoCacheOption, ReadAsOption
from crmcli.errors import CrmError
from crmcli.i18n import _, counted, lazy, ngettext

if TYPE_CHECKING:
    from crmcli.automations.outcomes import Report
    from crmcli.automations.runs import RunOptions
    from crmcli.editing.change import Change


class RunFormat(StrEnum):
    text = "text"
    json = "json"


DryRunOption = Annotated[
    bool,
    typer.Option("--dry-run", "-n", help=lazy("List what would be sent or changed; do nothing.")),
]
NowOption = Annotated[
    str | None,
    typer.Option(
        "--now",
        metavar="DATETIME",
        help=lazy("Evaluate as of this moment (ISO, e.g. 2026-12-01T09:00; default: now)."),
        show_default=False,
    ),
]
StateOption = Annotated[
    str | None,
    typer.Option(
        "--state-file",
        metavar="PATH",
        help=lazy(
            "Where what was sent is remembered (default: state_file of crm.yaml, "
            "else .crm/automations-state.jsonl)."
        ),
        show_default=False,
    ),
]
ResetStateOption = Annotated[
    bool,
    typer.Option(
        "--reset-state",
        help=lazy(
            "Start again from nothing when the state file is empty or missing after it held "
            "lines (every due reminder is sent again)."
        ),
    ),
]
FormatOption = Annotated[RunFormat, typer.Option("--format", "-f", help=lazy("Output format."))]


def register(app: typer.Typer) -> None:
    app.command(
        "remind",
        help=lazy(
            "Run the schedule rules of automations.yaml (from cron or a scheduled CI job): "
            "send each reminder that is due, once per episode or repeat period, and the event "
            "notifications still pending. Exit 1 when a delivery failed; it is tried again "
            "next run.\n\nExamples:\n\n"
            "  crm remind --dry-run\n\n  crm remind --now 2026-12-01T09:00 --state-file automations-state.jsonl"
        ),
    )(remind)
    app.command(
        "automate",
        help=lazy(
            "Run the created / moved / changed rules for the edits committed since REV (hand "
            "edits merged through git), and deliver the event notifications still pending; "
            "each event is handled once, however often this runs.\n\n"
            "Examples:\n\n  crm automate --since origin/main~5\n\n  crm automate --since v1.0 --dry-run"
        ),
    )(automate)


def remind(
    ctx: typer.Context,
    dry_run: DryRunOption = False,
    now: NowOption = None,
    state_file: StateOption = None,
    fmt: FormatOption = RunFormat.text,
    acting_as: ReadAsOption = None,
    strict: StrictOption = False,
    no_cache: NoCacheOption = False,
    reset_state: ResetStateOption = False,
) -> None:
    from crmcli.automations.runs import remind as run_remind

    root = ctx.obj.root
    options = replace(
        _options(root, now, dry_run, state_file, acting_as),
        strict=strict,
        cache=not no_cache,
        reset_state=reset_state,
    )
    report = run_remind(root, options)
    name_left_out(report.left_out, strict=False)
    _show(report, fmt, dry_run)


def automate(
    ctx: typer.Context,
    since: Annotated[
        str,
        typer.Option(
            "--since", metavar="REV", help=lazy("Handle the commits after this revision.")
        ),
    ],
    dry_run: DryRunOption = False,
    now: NowOption = None,
    state_file: StateOption = None,
    fmt: FormatOption = RunFormat.text,
    acting_as: ReadAsOption = None,
) -> None:
    from crmcli.automations.runs import automate as run_automate

    root = ctx.obj.root
    report = run_automate(root, since, _options(root, now, dry_run, state_file, acting_as))
    _show(report, fmt, dry_run)


def _options(
    root: Path, now: str | None, dry_run: bool, state_file: str | None, acting_as: str | None
) -> RunOptions:
    from crmcli.automations.runs import RunOptions
    from crmcli.core.loader import Loader
    from crmcli.engine.reader import workspace_now

    workspace = Loader(root).load(only_projects=set())
    moment = workspace_now(workspace)
    if now is not None:
        try:
            parsed = datetime.fromisoformat(now)
        except ValueError:
            raise typer.BadParameter(
                _("“{text}” is not a date and time (e.g. 2026-12-01T09:00)").format(text=now),
                param_hint="--now",
            ) from None
        zone = moment.tzinfo
        moment = parsed.astimezone(zone) if parsed.tzinfo else parsed.replace(tzinfo=zone)
    return RunOptions(moment, dry_run, state_file, acting_as)


def _show(report: Report, fmt: RunFormat, dry_run: bool) -> None:
    if fmt is RunFormat.json:
        write_json([o.to_dict() for o in report.outcomes])
    else:
        for outcome in report.outcomes:
            stream = sys.stderr if outcome.status == "failed" else sys.stdout
            stream.write(
                f"{_STATUS_WORDS.get(outcome.status, outcome.status)}: {outcome.rule}: "
                f"{outcome.record} → {outcome.target}: {outcome.detail}\n"
            )
        sys.stderr.write(_summary(report, dry_run) + "\n")
    if report.failed:
        raise typer.Exit(1)


_STATUS_WORDS = {
    "sent": lazy("sent"),
    "failed": lazy("failed"),
    "skipped": lazy("skipped"),
    "planned": lazy("would do"),
    "done": lazy("done"),
    "undelivered": lazy("undelivered"),
}


def _summary(report: Report, dry_run: bool) -> str:
    counts = dict.fromkeys(_STATUS_WORDS, 0)
    for outcome in report.outcomes:
        counts[outcome.status] += 1
    if dry_run:
        return ngettext(
            "{n} action would run (dry run: nothing sent or written)",
            "{n} actions would run (dry run: nothing sent or written)",
            counts["planned"],
        ).format(n=counted(counts["planned"]))
    return ngettext(
        "{sent} sent, {done} record changed, {failed} failed, {skipped} skipped, "
        "{undelivered} undelivered",
        "{sent} sent, {done} records changed, {failed} failed, {skipped} skipped, "
        "{undelivered} undelivered",
        counts["done"],
    ).format(
        sent=counted(counts["sent"]),
        done=counted(counts["done"]),
        failed=counted(counts["failed"]),
        skipped=counted(counts["skipped"]),
        undelivered=counted(counts["undelivered"]),
    )


def after_edit(root: Path, change: Change) -> Change:
    """Run the rules an edit triggered; their writes join the change (and its commit)."""
    from crmcli.automations.runs import after_edit as run_rules
    from crmcli.core.loader import Loader
    from crmcli.engine.reader import workspace_now

    workspace = Loader(root).load(only_projects=set())
    try:
        report = run_rules(root, change, workspace_now(workspace))
    except CrmError as error:  # the edit is written; say why no rule ran
        for problem in error.problems:
            sys.stderr.write(f"{problem.path}:{problem.line}:{problem.column}: {problem.message}\n")
        change.warnings.append(_("no automation ran: {reason}").format(reason=error.message))
        return change
    if report is None:
        return change
    for outcome in report.outcomes:
        if outcome.status in ("sent", "done"):
            sys.stderr.write(
                _("automation “{rule}”: {detail}").format(
                    rule=outcome.rule, detail=f"{outcome.target}: {outcome.detail}"
                )
                + "\n"
            )
    for outcome in report.failed:
        change.warnings.append(
            _(
                "automation “{rule}” could not reach {target}: {reason} (the edit is written; "
                "the notification is pending: the next crm remind or crm automate sends it)"
            ).format(rule=outcome.rule, target=outcome.target, reason=outcome.detail)
        )
    change.written.extend(p for p in report.written if p not in change.written)
    return change
