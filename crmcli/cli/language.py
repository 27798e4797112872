"""Which language `crm` speaks, first match wins: --lang (before or after the command),
$CRM_LANG, crm.yaml's `language:`, the language of its `locale:`, then LC_ALL / LC_MESSAGES /
LANG when the workspace names neither. Chosen before typer builds its help texts."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from typer._click.formatting import HelpFormatter

from crmcli.cli.start import global_options, take_lang
from crmcli.cli.usage_errors import translate_usage_errors
from crmcli.core.config import workspace_config
from crmcli.core.layout import WORKSPACE_FILE
from crmcli.core.loader import Loader, find_root
from crmcli.errors import CrmError, UsageError
from crmcli.i18n import LANGUAGES, _, ngettext, supported, use_language
from crmcli.i18n.lists import value_list


def choose_language(args: list[str]) -> list[str]:
    """Install the language for this command; the arguments without any --lang (so that every
    command accepts it, wherever it is written)."""
    written, rest = take_lang(args)
    if written is not None and supported(written) is None:
        raise UsageError(
            _("unknown language “{name}”; available: {names}").format(
                name=written, names=value_list(LANGUAGES)
            )
        )
    use_language(written or os.environ.get("CRM_LANG") or _workspace_language(rest))
    return rest


def _workspace_language(args: list[str]) -> str | None:
    """crm.yaml's language (its own, or its locale's) when it names one; None to ask the
    environment. A crm.yaml that cannot be read is reported by the command itself."""
    try:
        root = find_root(global_options(args)[0])
    except CrmError:
        return None
    loader = Loader(root)
    file = loader.read_config(WORKSPACE_FILE)
    data = file.data if file is not None and isinstance(file.data, dict) else {}
    if not (data.get("language") or data.get("locale")):
        return None
    return workspace_config(data, loader.log).language


def translate_typer() -> None:
    """typer's messages ("Commands") are looked up with gettext.gettext, in gettext's global
    domain, and those of its own copy of click ("Usage:", "Options", "Show this message and
    exit.") are plain English: typer is pointed at our catalog, and click's help is written by a
    formatter that translates them (the catalog carries click's messages)."""
    import typer._click.core
    import typer._click.parser
    import typer.core

    for module in (typer.core, typer._click.parser):
        module._ = _  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext  # type: ignore[attr-defined]
    typer._click.core.Context.formatter_class = _TranslatedHelpFormatter
    translate_usage_errors()


class _TranslatedHelpFormatter(HelpFormatter):
    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, _("Usage:") + " " if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        super().write_heading(_(heading))

    def write_dl(self, rows: Sequence[tuple[str, str]], *args: Any, **kwargs: Any) -> None:
        super().write_dl([(term, _(text)) for term, text in rows], *args, **kwargs)
