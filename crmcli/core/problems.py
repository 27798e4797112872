"""Collecting problems, with positions looked up only when a problem needs one."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from pathlib import Path

from crmcli.core.yamlio import MAX_CONFIG_BYTES, KeyPath, YamlReadError, key_positions, locate
from crmcli.core.yamlio import read_text as read_text_file
from crmcli.errors import Problem, Severity
from crmcli.i18n import _


class ProblemLog:
    """Problems found so far. Positions of keys are found lazily, once per file."""

    def __init__(self, root: Path, read_text: Callable[[str], str] | None = None) -> None:
        self.root = root
        self._read_text = read_text or (lambda path: read_text_file(root / path, MAX_CONFIG_BYTES))
        self.problems: list[Problem] = []
        self.left_out: set[str] = set()  # record files skipped: their problems say why
        self._positions: dict[str, dict[KeyPath, tuple[int, int]]] = {}

    def remember_positions(self, path: str, positions: dict[KeyPath, tuple[int, int]]) -> None:
        self._positions[path] = positions

    def position(self, path: str, key_path: KeyPath = ()) -> tuple[int, int]:
        if not key_path:
            return (1, 1)
        positions = self._positions.get(path)
        if positions is None:
            try:
                positions = key_positions(self._read_text(path))
            except (OSError, YamlReadError):
                positions = {}
            self._positions[path] = positions
        return locate(positions, key_path)

    def add(
        self,
        path: str,
        key_path: KeyPath,
        code: str,
        message: str,
        severity: Severity = Severity.ERROR,
        field: str | None = None,
    ) -> None:
        line, column = self.position(path, key_path)
        self.add_at(path, line, column, code, message, severity, field)

    def add_at(
        self,
        path: str,
        line: int,
        column: int,
        code: str,
        message: str,
        severity: Severity = Severity.ERROR,
        field: str | None = None,
    ) -> None:
        self.problems.append(Problem(path, line, column, severity, code, message, field))

    def warn(self, path: str, key_path: KeyPath, code: str, message: str) -> None:
        self.add(path, key_path, code, message, Severity.WARNING)


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """' (did you mean “x”?)' when a candidate is close to word, else ''."""
    pool = {str(candidate): str(candidate) for candidate in candidates}
    lowered = {key.casefold(): key for key in pool}
    if word.casefold() in lowered:
        return " " + _("(did you mean “{suggestion}”?)").format(suggestion=lowered[word.casefold()])
    close = difflib.get_close_matches(word, list(pool), n=1, cutoff=0.6)
    if not close:
        return ""
    return " " + _("(did you mean “{suggestion}”?)").format(suggestion=close[0])
