"""`crm form render` and `crm form serve`: the web form that turns a prospect into a record."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from crmcli.cli.editing import CommitOption
from crmcli.cli.reader import ActAsOption
from crmcli.i18n import _, lazy

app = typer.Typer(
    help=lazy("The web form on the agency's site: each submission becomes a new record."),
    no_args_is_help=True,
)


@app.command(
    "render",
    help=lazy(
        "Write the project's form as one self-contained HTML file, for a site that posts the "
        "answers as JSON to crm form serve's /api/PROJECT.\n\nExamples:\n\n"
        "  crm form render clients --out contact.html\n\n"
        "  crm form render clients --action https://forms.agency.example/api/clients"
    ),
)
def render(
    ctx: typer.Context,
    project: Annotated[str, typer.Argument(metavar="PROJECT")],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help=lazy("File to write (default: the standard output)."),
            show_default=False,
        ),
    ] = None,
    action: Annotated[
        str | None,
        typer.Option(
            "--action",
            help=lazy("Where the answers are posted (default: /api/PROJECT on the same site)."),
            show_default=False,
        ),
    ] = None,
) -> None:
    from crmcli.editing.atomic import replace_all
    from crmcli.form.live import ServedWorkspace
    from crmcli.form.page import form_page

    opened = ServedWorkspace(ctx.obj.root, [project]).current()
    form = next(iter(opened.forms.values()))
    page = form_page(
        form,
        opened.editor.workspace.config.name,
        action or f"/api/{form.project}",
        static=True,
    )
    if out is None:
        sys.stdout.write(page)
        return
    replace_all({out: page.encode("utf-8")})
    sys.stdout.write(_("{path}: the form of {project}").format(path=out, project=form.title) + "\n")


@app.command(
    "serve",
    help=lazy(
        "Serve the forms of the projects at /forms/PROJECT (and a JSON endpoint at "
        "/api/PROJECT, /healthz): each valid submission becomes a record, assigned and "
        "announced by the created automations. Set $CRM_FORM_TOKEN to require a bearer token "
        "on /api.\n\nExamples:\n\n  crm form serve clients\n\n"
        "  crm form serve clients opportunities --host 0.0.0.0 --port 8080 --commit"
    ),
)
def serve(
    ctx: typer.Context,
    projects: Annotated[list[str], typer.Argument(metavar="PROJECT...")],
    host: Annotated[str, typer.Option("--host", help=lazy("Address to listen on."))] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help=lazy("Port to listen on."))] = 8080,
    rate_limit: Annotated[
        str,
        typer.Option(
            "--rate-limit",
            metavar="RATE",
            help=lazy("Submissions allowed per address, e.g. 10/minute or 1000/hour."),
        ),
    ] = "10/minute",
    acting_as: ActAsOption = None,
    commit: CommitOption = False,
) -> None:
    from crmcli.form.app import FormSettings, form_app, serve
    from crmcli.form.live import ServedWorkspace

    if acting_as:  # the automations each submission runs act as the same member
        os.environ["CRM_USER"] = acting_as
    served = ServedWorkspace(ctx.obj.root, projects, acting_as)
    application = form_app(served, FormSettings(commit, rate_limit))
    for form in served.current().forms.values():
        sys.stdout.write(
            _("{title}: http://{host}:{port}/forms/{project}").format(
                title=form.title, host=host, port=port, project=form.project
            )
            + "\n"
        )
    sys.stdout.flush()
    serve(application, host, port)


def register(crm: typer.Typer) -> None:
    crm.add_typer(app, name="form")
