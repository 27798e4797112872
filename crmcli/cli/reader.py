"""Who acts or reads (--as, on every command that edits or reads) and a narrower view
(--role, on every reading command): declared once, so the flags read the same everywhere."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from crmcli.i18n import _

if TYPE_CHECKING:
    from crmcli.engine.reader import Reader
    from crmcli.engine.workspace import OpenWorkspace

ActAsOption = Annotated[
    str | None,
    typer.Option(
        "--as",
        help=_("Act as this member (default: $CRM_USER, else git user.email)."),
        show_default=False,
    ),
]
ReadAsOption = Annotated[
    str | None,
    typer.Option(
        "--as",
        help=_(
            "Read as this member: fields hidden from their role are left out "
            "(default: $CRM_USER, else git user.email)."
        ),
        show_default=False,
    ),
]
RoleOption = Annotated[
    str | None,
    typer.Option(
        "--role",
        help=_(
            "Read with this role: what it may not see is left out. It can only narrow what "
            "the member reading may see."
        ),
        show_default=False,
    ),
]


def open_as_reader(
    root: Path, acting_as: str | None, role_name: str | None, lazy: bool = False
) -> tuple[OpenWorkspace, Reader]:
    """The workspace a reading command opens (lazy: see `open_workspace`), and who reads it
    (--as, --role)."""
    from crmcli.engine.reader import identify_reader
    from crmcli.engine.workspace import open_workspace

    opened = open_workspace(root, lazy=lazy)
    return opened, identify_reader(opened.workspace, opened.engine, acting_as, role_name)
