"""Who acts or reads (--as, on every command that edits or reads) and a narrower view
(--role, on every reading command): declared once, so the flags read the same everywhere."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from crmcli.i18n import lazy
from crmcli.index.wanted import NO_CACHE_OPTION

if TYPE_CHECKING:
    from crmcli.engine.reader import Reader
    from crmcli.engine.workspace import OpenWorkspace

ActAsOption = Annotated[
    str | None,
    typer.Option(
        "--as",
        help=lazy("Act as this member (default: $CRM_USER, else git user.email)."),
        show_default=False,
    ),
]
ReadAsOption = Annotated[
    str | None,
    typer.Option(
        "--as",
        help=lazy(
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
        help=lazy(
            "Read with this role: what it may not see is left out. It can only narrow what "
            "the member reading may see."
        ),
        show_default=False,
    ),
]
NoCacheOption = Annotated[
    bool,
    typer.Option(
        NO_CACHE_OPTION,
        help=lazy(
            "Read every file instead of the index in .crm/ (as CRM_NO_CACHE=1 does); the "
            "answer is the same, only slower."
        ),
    ),
]


def open_as_reader(
    root: Path,
    acting_as: str | None,
    role_name: str | None,
    no_cache: bool = False,
    lazy: bool = False,
) -> tuple[OpenWorkspace, Reader]:
    """The workspace a reading command opens (from the index unless --no-cache), and who
    reads it (--as, --role). lazy: a command about one record, which reads only the files
    it needs when there is no index to answer it (see `open_workspace`)."""
    from crmcli.engine.reader import identify_reader
    from crmcli.engine.workspace import open_workspace
    from crmcli.index.session import index_ready, open_indexed

    if lazy and not index_ready(root, cache=not no_cache):
        opened = open_workspace(root, lazy=True)
    else:
        opened = open_indexed(root, cache=not no_cache, lazy=lazy)
    return opened, identify_reader(opened.workspace, opened.engine, acting_as, role_name)
