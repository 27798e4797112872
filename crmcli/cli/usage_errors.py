"""Usage errors in the language of the command: typer's copy of click writes "Error: No such
option: --x" and "Try 'crm check -h' for help." in English, from fragments; `show` is replaced
by one that writes whole translated sentences (the message's own words where click gives no
more than a text)."""

from __future__ import annotations

from typing import IO, Any

from typer._click import exceptions
from typer._click.utils import echo

from crmcli.i18n import _, ngettext
from crmcli.i18n.lists import or_list


def translate_usage_errors() -> None:
    exceptions.UsageError.show = _show  # type: ignore[method-assign]


def _show(self: exceptions.UsageError, file: IO[Any] | None = None) -> None:
    context = self.ctx
    if context is not None:
        hint = ""
        if context.command.get_help_option(context) is not None:
            hint = (
                _("Try “{command} {option}” for help.").format(
                    command=context.command_path, option=context.help_option_names[0]
                )
                + "\n"
            )
        echo(f"{context.get_usage()}\n{hint}", file=file, err=True, color=context.color)
    echo(
        _("Error: {message}").format(message=_message(self)),
        file=file,
        err=True,
        color=context.color if context is not None else None,
    )


def _message(error: exceptions.UsageError) -> str:
    if isinstance(error, exceptions.NoSuchOption) and error.message.startswith("No such option"):
        message = _("No such option: {name}.").format(name=error.option_name)
        if error.possibilities:
            message += " " + _("Did you mean {options}?").format(
                options=or_list(sorted(error.possibilities))
            )
        return message
    if isinstance(error, exceptions.MissingParameter) and not error.message:
        name = _hint(error)
        kind = error.param_type or (error.param.param_type_name if error.param else None)
        if kind == "option":
            return _("Missing option {name}.").format(name=name)
        return _("Missing argument {name}.").format(name=name)
    extra = _extra_arguments(error.message)
    if extra is not None:
        return ngettext(
            "Got unexpected extra argument ({args})",
            "Got unexpected extra arguments ({args})",
            len(extra.split()),
        ).format(args=extra)
    return error.format_message()


def _extra_arguments(message: str) -> str | None:
    """The arguments of typer's "Got unexpected extra argument(s) (…)", which it writes in
    English whatever the language; None for another message."""
    if message.startswith(_EXTRA) and message.endswith(")"):
        return message[len(_EXTRA) : -1]
    return None


_EXTRA = "Got unexpected extra argument(s) ("


def _hint(error: exceptions.MissingParameter) -> str:
    hint = error.param_hint
    if hint is None and error.param is not None:
        hint = error.param.get_error_hint(error.ctx)  # type: ignore[arg-type]
    if isinstance(hint, (list, tuple)):
        return " / ".join(hint)
    return str(hint or "")
