"""Message translation. Every user-facing string goes through `_()` (or `ngettext` for a count).

One catalog, `crmcli`, in `locale/<language>/LC_MESSAGES/crmcli.mo` (compiled from the .po files
at build time, `make catalogs` for a checkout). The language is chosen once per command by
`use_language` (the CLI decides which: --lang, $CRM_LANG, crm.yaml, then the environment), so
`_()` answers in the language of the moment; a message defined at import time is a `lazy` one,
translated each time it is read.
"""

from __future__ import annotations

import gettext
import os
from collections import UserString
from pathlib import Path

LOCALE_DIR = Path(__file__).parent.parent / "locale"
DOMAIN = "crmcli"
LANGUAGES = ("en", "fr", "ru")  # English is the messages' own language

_current: gettext.NullTranslations = gettext.NullTranslations()
_language = "en"


def _(message: str) -> str:
    """The message in the current language (itself when the catalog has no translation)."""
    return _current.gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The form of the message for `count` (Russian has three)."""
    return _current.ngettext(singular, plural, count)


def counted(count: int) -> str:
    """A count inside a sentence, grouped as the language writes numbers: 120,701 (en),
    120 701 (fr, with a narrow no-break space), 120 701 (ru, with a no-break space). No
    language groups a number under a thousand, so those need no locale data."""
    if -1000 < count < 1000:
        return str(count)
    from babel.numbers import format_decimal

    return format_decimal(count, locale=_language)


def quoted(text: object) -> str:
    """A name or value between the language's quotation marks, for a sentence: “Acme” (en),
    « Acme » (fr), «Acme» (ru)."""
    return _("“{text}”").format(text=text)


class LazyText(UserString):
    """A message defined at import time (a help text, a table header), translated when read."""

    def __init__(self, message: object) -> None:
        # UserString's methods build their results with the class: those are already read.
        self.message = str(message)

    @property
    def data(self) -> str:  # type: ignore[override]
        return _(self.message)


def lazy(message: str) -> LazyText:
    """`_()` for a message that must not be translated before the language is chosen."""
    return LazyText(message)


def use_language(language: str | None) -> str:
    """Translate into `language` (e.g. "fr", "ru_RU", "fr-CA"); the environment's when None.
    Returns the language in use: one we have a catalog for, else English."""
    global _current, _language
    chosen = supported(language) if language else language_of_environment()
    _language = chosen or "en"
    _current = gettext.translation(
        DOMAIN, localedir=LOCALE_DIR, languages=[_language], fallback=True
    )
    return _language


def current_language() -> str:
    return _language


def supported(language: str) -> str | None:
    """The catalog's language for a locale or language name: "ru_RU" → "ru"; None if we have none."""
    base = language.replace("-", "_").split(".")[0].split("_")[0].lower()
    return base if base in LANGUAGES else None


def language_of_environment() -> str | None:
    """What gettext would read: LANGUAGE (a list, "fr:en"), LC_ALL, LC_MESSAGES, LANG."""
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(variable, "")
        for name in value.split(":"):
            if name and name not in ("C", "POSIX") and not name.startswith("C."):
                found = supported(name)
                if found:
                    return found
        if value:
            return None
    return None


use_language(os.environ.get("CRM_LANG") or None)
