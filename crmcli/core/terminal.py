"""Record values made harmless for a terminal: a value is data, so it must never move the cursor,
clear the screen, set the window title or reverse the text around it (`Trojan Source`)."""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, C1 controls, and the bidi embeddings, overrides and
# isolates.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible(text: str) -> str:
    """The text with each control character shown as its escape (`\\x1b`, `\\u202e`), so that a
    value printed to a terminal reads as what it contains instead of acting on the terminal."""
    return _CONTROLS.sub(_escape, text)
