"""`crm check`."""

from __future__ import annotations

import sys
from datetime import date
from typing import Annotated

import typer

from crmcli.cli.output import ProblemFormat, write_problems
from crmcli.cli.reader import NoCacheOption, ReadAsOption, RoleOption
from crmcli.i18n import _, counted, lazy, ngettext


def register(app: typer.Typer) -> None:
    app.command(
        "check",
        help=lazy(
            "Lint the workspace: configuration, schemas, every record, references and computed "
            "fields. Exit 0 when clean, 1 when there are errors (or warnings with --strict).\n\n"
            "Examples:\n\n  crm check\n\n  crm check --format github   # annotations in GitHub Actions\n\n"
            "  crm check --format json | jq '.[].message'\n\n"
            "  crm check --since origin/main   # and each commit's author edited only what their role may\n\n"
            "  crm check --format sarif > crm.sarif   # for code-scanning dashboards"
        ),
    )(check)


def check(
    ctx: typer.Context,
    fmt: Annotated[
        ProblemFormat, typer.Option("--format", "-f", help=lazy("Output format."))
    ] = ProblemFormat.text,
    strict: Annotated[bool, typer.Option("--strict", help=lazy("Fail on warnings too."))] = False,
    today: Annotated[
        str | None,
        typer.Option(
            "--today", help=lazy("Evaluate TODAY() as this date (YYYY-MM-DD)."), show_default=False
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            metavar="REV",
            help=lazy(
                "Also check every commit since REV: its author (git e-mail → member → role) "
                "changed only fields that role may edit."
            ),
            show_default=False,
        ),
    ] = None,
    duplicates: Annotated[
        bool,
        typer.Option(
            "--duplicates",
            help=lazy("Also warn of records that share an e-mail address or a phone number."),
        ),
    ] = False,
    acting_as: ReadAsOption = None,
    role_name: RoleOption = None,
    no_cache: NoCacheOption = False,
) -> None:
    from crmcli.check.workspace import check_workspace, count_by_severity
    from crmcli.engine.reader import identify_reader

    root = ctx.obj.root
    result = check_workspace(root, _parse_day(today), cache=not no_cache)
    problems = list(result.problems)
    if since is not None:
        from crmcli.review.permissions import check_since

        problems.extend(check_since(root, since))
    if duplicates:
        from crmcli.duplicates.checks import exact_duplicates

        problems.extend(exact_duplicates(root, result.workspace, cache=not no_cache))
    reader = identify_reader(result.workspace, result.engine, acting_as, role_name)
    write_problems(root, reader.screen(problems), fmt, sys.stdout)
    errors, warnings = count_by_severity(problems)
    if fmt is ProblemFormat.text:
        records = sum(len(p.records) for p in result.workspace.projects.values())
        summary = _("{records} in {projects}: {errors}, {warnings}").format(
            records=ngettext("{n} record", "{n} records", records).format(n=counted(records)),
            projects=ngettext("{n} project", "{n} projects", len(result.workspace.projects)).format(
                n=counted(len(result.workspace.projects))
            ),
            errors=ngettext("{n} error", "{n} errors", errors).format(n=counted(errors)),
            warnings=ngettext("{n} warning", "{n} warnings", warnings).format(n=counted(warnings)),
        )
        sys.stderr.write(summary + "\n")
    if errors or (strict and warnings):
        raise typer.Exit(1)


def _parse_day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            _("“{text}” is not a date (YYYY-MM-DD)").format(text=text)
        ) from None
