"""A list written inside a sentence or a cell, the way the language of the messages writes it.

English says "a, b, and c", French "a, b et c", Russian "a, b и c"; a choice is "a, b, or c",
"a, b ou c", "a, b или c" (CLDR's list patterns, through Babel, read only when such a sentence is
written: error messages, not the hot paths). The lists that have no conjunction are the same
everywhere we speak: values in a cell ("Alice, Bruno"), CLDR's middle pattern; clauses of one
summary ("amount changed; stage moved"), where French puts a no-break space before the
semicolon, as our French catalog does before “;” and “:”. Those two are a table, not Babel, so
that `crm show` and the editing commands do not load locale data to print a record.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from crmcli.i18n import current_language

# CLDR's "{0}, {1}" (the standard pattern's middle) in each language we have a catalog for.
VALUE_SEPARATORS = {"en": ", ", "fr": ", ", "ru": ", "}
CLAUSE_SEPARATORS = {"en": "; ", "fr": "\u00a0; ", "ru": "; "}


def and_list(items: Iterable[str]) -> str:
    """All of the items: "a, b, and c" (en), "a, b et c" (fr), "a, b и c" (ru)."""
    return _cldr_list(items, "standard")


def or_list(items: Iterable[str]) -> str:
    """One of the items, a choice: "a, b, or c" (en), "a, b ou c" (fr), "a, b или c" (ru)."""
    return _cldr_list(items, "or")


def value_list(items: Iterable[str]) -> str:
    """The values of one field or cell, no conjunction: "Alice, Bruno"."""
    return VALUE_SEPARATORS.get(current_language(), ", ").join(items)


def clause_list(items: Iterable[str]) -> str:
    """Clauses of one summary: "Amount = 5; Stage removed" ("Montant = 5 ; Étape retirée")."""
    return CLAUSE_SEPARATORS.get(current_language(), "; ").join(items)


def _cldr_list(items: Iterable[str], style: Literal["standard", "or"]) -> str:
    from babel.lists import format_list

    return format_list(list(items), style=style, locale=current_language())
