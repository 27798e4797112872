"""One spelling per text: Unicode NFC.

“Café” typed on one keyboard is `e` + U+0301 (NFD), on another U+00E9 (NFC); they are the
same option, tag or name to the user, so every text read from a workspace file or typed at
a terminal is put in NFC before it is compared. ASCII text (nearly every file) is returned
as is without looking further.
"""

from __future__ import annotations

import unicodedata


def nfc(text: str) -> str:
    """The NFC spelling of text (ASCII text is already NFC and is returned unchanged)."""
    if text.isascii():
        return text
    return unicodedata.normalize("NFC", text)


def folded(text: str) -> str:
    """Text as a search compares it, ignoring case and accents: “Éléonore” → “eleonore”,
    “Ёлка” → “елка” (NFKD, combining marks dropped, then casefold)."""
    if text.isascii():
        return text.casefold()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
