"""`--strict` and the warnings of the commands that read every record (list, export, dashboard,
remind, diff --totals): each record left out is named on stderr, or refused with --strict."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Annotated

import typer

from crmcli.core.left_out import left_out_message, refuse_left_out
from crmcli.errors import Problem
from crmcli.i18n import lazy

StrictOption = Annotated[
    bool,
    typer.Option(
        "--strict",
        help=lazy("Fail, writing nothing, when a record cannot be read (instead of a warning)."),
    ),
]


def name_left_out(problems: Sequence[Problem], strict: bool) -> None:
    """Name each record left out on stderr; with --strict, stop instead."""
    if strict:
        refuse_left_out(problems)
    for problem in problems:
        sys.stderr.write(left_out_message(problem) + "\n")
