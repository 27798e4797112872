"""`crm keys init`, `crm secrets enable`, `crm secrets rotate`: hidden fields encrypted."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import typer

from crmcli.cli.reader import ActAsOption
from crmcli.i18n import _, counted, lazy, ngettext
from crmcli.i18n.lists import value_list

if TYPE_CHECKING:
    from crmcli.editing.secrets import Sealed

keys_app = typer.Typer(
    help=lazy("Your key to the workspace's hidden fields."), no_args_is_help=True
)
secrets_app = typer.Typer(
    help=lazy("Hidden fields encrypted in the files: enable it, rotate the key."),
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")
    app.add_typer(secrets_app, name="secrets")


@keys_app.command(
    "init",
    help=lazy(
        "Create your age identity in ~/.config/crm/identity (kept if it is there already) and "
        "print the line to add under your member in crm.yaml; crm.yaml is not changed.\n\n"
        "Example:\n\n  crm keys init --as alice"
    ),
)
def keys_init(ctx: typer.Context, acting_as: ActAsOption = None) -> None:
    from crmcli.core.loader import Loader
    from crmcli.engine.reader import identify_actor
    from crmcli.secrets.identity import create_identity

    root = ctx.obj.root
    actor = identify_actor(Loader(root).load(lazy=True), acting_as)
    made = create_identity()
    message = (
        _("Your identity was written to {path} (keep it private).")
        if made.created
        else _("Your identity in {path} is kept.")
    )
    sys.stderr.write(message.format(path=made.path) + "\n")
    if actor is not None:
        sys.stderr.write(
            _(
                "Add this line under members: {member}: in crm.yaml, then ask a key holder to run "
                "crm secrets rotate:"
            ).format(member=actor.id)
            + "\n"
        )
    else:
        sys.stderr.write(_("Add this line under your member in crm.yaml:") + "\n")
    sys.stdout.write(f"age: {made.public_key}\n")


@secrets_app.command(
    "enable",
    help=lazy(
        "Encrypt every hidden field of every record with a new data key, wrapped in "
        "keys/data-key.age for each member who may see hidden fields and has a public key. "
        "All files are written or none.\n\nExample:\n\n  crm secrets enable"
    ),
)
def secrets_enable(ctx: typer.Context) -> None:
    from crmcli.editing.secrets import enable

    done = enable(ctx.obj.root)
    _say(done)
    sys.stderr.write(
        _(
            "Older git history still holds the plain values. To remove them, rewrite the "
            "history (for example git filter-repo, then a forced push) and ask everyone to "
            "clone again."
        )
        + "\n"
    )


@secrets_app.command(
    "rotate",
    help=lazy(
        "Make a new data key (after a member leaves or loses a key), wrap it for today's key "
        "holders and encrypt every hidden value again. Needs the current key.\n\n"
        "Example:\n\n  crm secrets rotate"
    ),
)
def secrets_rotate(ctx: typer.Context) -> None:
    from crmcli.editing.secrets import rotate

    _say(rotate(ctx.obj.root))
    sys.stderr.write(
        _("Someone who held the old key can still read the values of older revisions.") + "\n"
    )


def _say(done: Sealed) -> None:
    sys.stdout.write(
        ngettext(
            "{count} hidden value was encrypted.",
            "{count} hidden values were encrypted.",
            done.values,
        ).format(count=counted(done.values))
        + " "
        + ngettext(
            "{count} record file was rewritten.",
            "{count} record files were rewritten.",
            done.files,
        ).format(count=counted(done.files))
        + "\n"
    )
    sys.stdout.write(
        _("The key is wrapped for: {members}.").format(members=value_list(done.holders)) + "\n"
    )
    if done.without_key:
        sys.stderr.write(
            _(
                "These members may see hidden fields but have no public key yet: {members}. "
                "They run crm keys init, then a key holder runs crm secrets rotate."
            ).format(members=value_list(done.without_key))
            + "\n"
        )
