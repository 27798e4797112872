"""`crm dashboard`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from crmcli.cli.left_out import StrictOption, name_left_out
from crmcli.cli.reader import NoCacheOption, ReadAsOption, RoleOption
from crmcli.i18n import _, counted, lazy, ngettext


def register(app: typer.Typer) -> None:
    app.command(
        "dashboard",
        help=lazy(
            "Render a dashboard (dashboards/NAME.yaml) to one self-contained HTML file and PNG "
            "images: one per chart and one of the whole dashboard.\n\n"
            "Examples:\n\n  crm dashboard sales\n\n"
            "  crm dashboard sales --out reports/ --period 'last 6 months' --tag website\n\n"
            "  crm dashboard sales --role junior        # without the fields juniors may not see\n\n"
            "  crm dashboard sales --as-of 2026-06-30   # the last commit on or before that day\n\n"
            "  crm dashboard sales --as-of v1.2         # as committed in a git revision"
        ),
    )(dashboard)


def dashboard(
    ctx: typer.Context,
    name: Annotated[
        str, typer.Argument(metavar="NAME", help=_("The dashboard: dashboards/NAME.yaml."))
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help=lazy("Folder to write to (default: .crm/reports/NAME in the workspace)."),
            show_default=False,
        ),
    ] = None,
    period: Annotated[
        str | None,
        typer.Option(
            "--period",
            help=lazy(
                "Period of every widget: “last 12 months”, “next 2 quarters”, "
                "“2025-01-01..2025-12-31” (an end may be left open)."
            ),
            show_default=False,
        ),
    ] = None,
    tags: Annotated[
        list[str] | None,
        typer.Option(
            "--tag",
            "-t",
            help=lazy("Only records with this tag (repeat for any of several)."),
            show_default=False,
        ),
    ] = None,
    acting_as: ReadAsOption = None,
    role: RoleOption = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            metavar="DATE|REV",
            help=lazy(
                "The workspace as committed at a git revision, or on a day (YYYY-MM-DD: the "
                "last commit on or before it, and periods count from that day)."
            ),
            show_default=False,
        ),
    ] = None,
    strict: StrictOption = False,
    no_cache: NoCacheOption = False,
) -> None:
    from crmcli.reports.report import ReportRequest, build_report

    request = ReportRequest(
        name, out, period, tuple(tags or ()), role, as_of, acting_as, strict, not no_cache
    )
    report = build_report(ctx.obj.root, request)
    name_left_out(report.data.left_out, strict=False)
    sys.stdout.write(
        _("{title}: {path}").format(title=report.data.title, path=_shown(report.html)) + "\n"
    )
    sys.stdout.write(
        ngettext(
            "{path} (whole dashboard) and {n} chart image beside it",
            "{path} (whole dashboard) and {n} chart images beside it",
            len(report.charts),
        ).format(path=_shown(report.overview), n=counted(len(report.charts)))
        + "\n"
    )


def _shown(path: Path) -> str:
    """A path below the current folder relative to it, else in full."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path.resolve())
