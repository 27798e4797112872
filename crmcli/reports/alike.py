"""Records a `where:` cannot tell apart: those whose values it reads are the same. The
expression is evaluated once for each such group rather than once per record: `outcome ==
'open'` over a hundred thousand deals reads one list name among six.

An expression's answer depends only on what its scope gives for the names it reads, and on
today (`engine/scope.py`). A record's key is those values, each with its type (1, 1.0 and True
are equal in Python, not in a formula); a name the record does not hold is “missing” (the
scope then gives the same for every record: nothing, or the project's key), and the names
derived from the list (`outcome`, `probability`, `max_days`) read the list when it is.
Only values whose equality means the same answer make a key: texts, whole numbers,
booleans, days, nothing. A record holding another kind of value (a list, a date-time, which
equals the same instant in another zone) is evaluated on its own; an expression reading more
than the record's stored values (a computed field, a path through a reference, the id, a
next step or activity) is evaluated for every record, as it was.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from datetime import date
from typing import Any

from crmcli.core.model import Project, Record
from crmcli.engine.activity import ACTIVITY_VALUES
from crmcli.formulas.compiler import Expression

FROM_LIST = frozenset({"outcome", "probability", "max_days"})  # derived from the record's list
OWN = frozenset({"id"})  # derived, and different for every record
_SIMPLE = (str, int, bool, type(None), date)  # compared by type and value: same answer
_MISSING = ("missing",)  # a name the record's data does not hold


@dataclass(frozen=True, slots=True)
class Alike:
    """What tells records apart for an expression: the names it reads, each with whether a
    missing value reads the list. Two expressions reading the same names tell records apart
    alike: one grouping of the records serves both (`outcome == 'open'`, `outcome == 'won'`)."""

    read: tuple[tuple[str, bool], ...]

    def __call__(self, record: Record) -> Hashable | None:
        """The record's key (None: compare it with no other)."""
        return _key(record.data, self.read)


def alike_key(project: Project, expression: Expression) -> Alike | None:
    """What tells records apart for `expression`; None when it reads more than the
    records' stored values."""
    if expression.paths:
        return None
    read: list[tuple[str, bool]] = []  # a name, and whether a missing value reads the list
    for name in sorted(expression.names):
        definition = project.fields.get(name)
        computed = definition is not None and definition.computed
        if computed or name in OWN or name in ACTIVITY_VALUES:
            return None
        read.append((name, name in FROM_LIST))
    return Alike(tuple(read))


def _key(data: dict[str, Any], read: tuple[tuple[str, bool], ...]) -> Hashable | None:
    parts: list[Hashable] = []
    for name, reads_list in read:
        if name in data:
            value = data[name]
        elif reads_list:
            parts.append(_MISSING)
            value = data.get("list")
        else:
            parts.append(_MISSING)
            continue
        if type(value) not in _SIMPLE:
            return None
        parts.append((type(value), value))
    return tuple(parts)
