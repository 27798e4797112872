"""`crm init`, `add`, `move`, `set`, `rename`, `rm`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from crmcli.cli import automating
from crmcli.cli.reader import ActAsOption
from crmcli.errors import CrmError
from crmcli.i18n import _, lazy

if TYPE_CHECKING:
    from crmcli.editing.change import Change
    from crmcli.editing.editor import Editor

CommitOption = Annotated[
    bool,
    typer.Option(
        "--commit",
        help=lazy("Commit exactly the touched files, with a message saying what happened."),
    ),
]
SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set", metavar="FIELD=VALUE", help=lazy("Set a field (repeatable)."), show_default=False
    ),
]


def register(app: typer.Typer) -> None:
    app.command(
        "init",
        help=lazy(
            "Create a ready workspace (the agency sales CRM: Clients, Opportunities, Delivery, "
            "Invoices) in English, French or Russian (--lang en|fr|ru), and a git repository when the folder is in "
            "none.\n\nExamples:\n\n  crm init my-crm\n\n  crm init ventes --lang fr --with-examples"
        ),
    )(init)
    app.command(
        "add",
        help=lazy(
            "Add a record; its id is a readable slug of the name.\n\nExamples:\n\n"
            '  crm add opportunities "Société Générale — Site web" --set client=societe-generale --set amount="12 000"\n\n'
            "  crm add clients Ромашка --tag startup --assignee olga --print-id"
        ),
    )(add)
    app.command(
        "move",
        help=lazy(
            "Move a record to another list and record it in its history.\n\nExamples:\n\n"
            "  crm move opportunities/acme-website Negotiations\n\n"
            "  crm move opportunities/acme-website Lost --set lost_reason=Price --commit"
        ),
    )(move)
    app.command(
        "set",
        help=lazy(
            "Change fields of a record (values read by field type and in the workspace locale).\n\n"
            "Examples:\n\n  crm set opportunities/acme-website amount=13000 confidence=4\n\n"
            "  crm set opportunities/acme-website close_date=31/12/2026 --unset proposal"
        ),
    )(set_fields)
    app.command(
        "rename",
        help=lazy(
            "Give a record a new id and update every reference to it.\n\nExamples:\n\n"
            "  crm rename clients/acme acme-corp --commit"
        ),
    )(rename)
    app.command(
        "rm",
        help=lazy(
            "Remove a record; refused while other records refer to it unless --force.\n\nExamples:\n\n"
            "  crm rm opportunities/test-deal"
        ),
    )(remove)


def finish(ctx: typer.Context, change: Change, commit: bool, quiet: bool = False) -> None:
    from crmcli.git.run import commit_paths

    for warning in change.warnings:
        sys.stderr.write(_("warning: {message}").format(message=warning) + "\n")
    if commit and change.paths:
        try:
            revision = commit_paths(ctx.obj.root, change.paths, change.summary)
        except CrmError as error:  # the edit is on disk: say so, and that it is not committed
            raise CrmError(
                _("{summary}: written, but not committed: {reason}").format(
                    summary=change.summary, reason=error.message
                )
            ) from None
        if not quiet:
            sys.stdout.write(f"[{revision}] ")
    if not quiet:
        sys.stdout.write(change.summary + "\n")


def _editor(ctx: typer.Context, acting_as: str | None) -> Editor:
    from crmcli.editing.editor import Editor

    return Editor(ctx.obj.root, acting_as)


def init(
    directory: Annotated[
        Path, typer.Argument(help=_("Folder to create the workspace in."))
    ] = Path(),
    template: Annotated[
        str, typer.Option("--template", help=lazy("Workspace template."))
    ] = "sales",
    with_examples: Annotated[
        bool, typer.Option("--with-examples", help=lazy("Include example records."))
    ] = False,
) -> None:
    from crmcli.editing.init import init_workspace
    from crmcli.i18n import current_language

    # --lang (taken by every command, cli/language.py) is also the language of the template
    created = init_workspace(directory.resolve(), template, with_examples, current_language())
    sys.stdout.write(
        _("created a {template} workspace in {path} ({count} files)").format(
            template=template, path=directory, count=len(created.files)
        )
        + "\n"
    )
    if created.git_initialised:
        sys.stdout.write(
            _("Created a git repository in {path}; nothing is committed yet.").format(
                path=directory
            )
            + "\n"
        )
    member = created.member
    if member is not None and not member.from_git:
        sys.stdout.write(
            _(
                "git knows no name or e-mail for you, so the one member is “{key}” <{email}>: "
                "put your own under members: in {path} (or set git's user.name and user.email "
                "before crm init)."
            ).format(key=member.key, email=member.email, path=directory / "crm.yaml")
            + "\n"
        )


def add(
    ctx: typer.Context,
    project: Annotated[str, typer.Argument(metavar="PROJECT")],
    name: Annotated[str, typer.Argument(metavar="NAME")],
    list_name: Annotated[
        str | None,
        typer.Option(
            "--list", "-l", help=lazy("The list (default: the first)."), show_default=False
        ),
    ] = None,
    tags: Annotated[
        list[str] | None,
        typer.Option("--tag", "-t", help=lazy("A tag (repeatable)."), show_default=False),
    ] = None,
    assignee: Annotated[
        str | None,
        typer.Option(
            "--assignee", "-a", help=lazy("Member id, name or e-mail."), show_default=False
        ),
    ] = None,
    assignments: SetOption = None,
    print_id: Annotated[
        bool, typer.Option("--print-id", help=lazy("Print only the new record's PROJECT/ID."))
    ] = False,
    acting_as: ActAsOption = None,
    commit: CommitOption = False,
) -> None:
    from crmcli.duplicates.prevention import duplicate_warning, likely_duplicates

    editor = _editor(ctx, acting_as)
    target = editor.project(project)
    values = {"name": name.strip(), **editor.parse_assignments(target, assignments or [])}
    matches = likely_duplicates(ctx.obj.root, editor.workspace, target, values, editor.actor)
    change = editor.add(
        project,
        name,
        list_name=list_name,
        tags=tags or [],
        assignee=assignee,
        assignments=assignments or [],
    )
    change.warnings.extend(
        duplicate_warning(m, str(change.record), editor.workspace) for m in matches
    )
    finish(ctx, automating.after_edit(ctx.obj.root, change), commit, quiet=print_id)
    if print_id:
        sys.stdout.write(change.record + "\n")


def move(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(metavar="PROJECT/ID")],
    list_name: Annotated[str, typer.Argument(metavar="LIST")],
    assignments: SetOption = None,
    acting_as: ActAsOption = None,
    commit: CommitOption = False,
) -> None:
    change = _editor(ctx, acting_as).move(reference, list_name, assignments or [])
    finish(ctx, automating.after_edit(ctx.obj.root, change), commit)


def set_fields(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(metavar="PROJECT/ID")],
    assignments: Annotated[
        list[str] | None, typer.Argument(metavar="FIELD=VALUE...", show_default=False)
    ] = None,
    unset: Annotated[
        list[str] | None,
        typer.Option("--unset", help=lazy("Remove a field (repeatable)."), show_default=False),
    ] = None,
    acting_as: ActAsOption = None,
    commit: CommitOption = False,
) -> None:
    change = _editor(ctx, acting_as).set(reference, assignments or [], unset or [])
    finish(ctx, automating.after_edit(ctx.obj.root, change), commit)


def rename(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(metavar="PROJECT/ID")],
    new_id: Annotated[str, typer.Argument(metavar="NEW_ID")],
    acting_as: ActAsOption = None,
    commit: CommitOption = False,
) -> None:
    change = _editor(ctx, acting_as).rename(reference, new_id)
    finish(ctx, change, commit)


def remove(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(metavar="PROJECT/ID")],
    force: Annotated[
        bool, typer.Option("--force", help=lazy("Remove even if other records refer to it."))
    ] = False,
    acting_as: ActAsOption = None,
    commit: CommitOption = False,
) -> None:
    change = _editor(ctx, acting_as).remove(reference, force)
    finish(ctx, change, commit)
