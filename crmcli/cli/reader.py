"""Who acts or reads (--as, on every command that edits or reads) and a narrower view
(--role, on every reading command): declared once, so the flags read the same everywhere."""

from __future__ import annotations

from typing import Annotated

import typer

from crmcli.i18n import _

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
