"""A dashboard's charts computed by a forked child while this process computes its cards and
tables: on a hundred thousand deals each half costs seconds, and the two run on two cores.

The child inherits the opened workspace (nothing is sent to it), dates records with a timeline
of its own (this process's may be reading git's answers meanwhile), reads the index through
a connection of its own (SQLite's may not cross fork()), and sends back its figures. They are
the same figures either way, computed by the same code from the same records: a child that
fails in any way, a small workspace, one core or `CRM_PROCESSES=1`, and every figure is
computed here.

The child takes the pies, bars and boards that do not date last updates: those that do read
git for every open deal, which this process has already asked.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from crmcli.core.forked import Child, started
from crmcli.core.parse_pool import fork_workers
from crmcli.reports.figures import BoardFigure, Chart, Figure, Omitted, RecordTable, Stat
from crmcli.reports.spec import Widget

SHARED_FROM = 20_000  # records in the dashboard's projects; below, forking costs what it saves
_DRAWN = ("bar", "pie", "board")
_FIGURES = (Stat, Chart, RecordTable, Omitted, BoardFigure)


@dataclass(frozen=True, slots=True)
class Aside:
    """The widgets a forked child computes, by their place in the dashboard."""

    indices: tuple[int, ...]
    child: Child

    def figures(self) -> dict[int, Figure]:
        """The child's figures; empty when it did not send them all (they are computed here)."""
        sent = self.child.result()
        try:
            figures = pickle.loads(sent) if sent else None
        except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError):
            return {}
        if not isinstance(figures, dict) or set(figures) != set(self.indices):
            return {}
        return figures if all(isinstance(f, _FIGURES) for f in figures.values()) else {}


def set_aside(
    widgets: Sequence[Widget],
    records: int,
    compute: Callable[[list[int]], dict[int, Figure]],
) -> Aside | None:
    """A child computing the charts of a large dashboard (`compute` runs in the child, on the
    widgets' places), or None: everything is computed here."""
    indices = [i for i, w in enumerate(widgets) if w.type in _DRAWN and not w.dates_updates]
    if records < SHARED_FROM or not indices or len(indices) == len(widgets):
        return None
    if fork_workers() < 2:
        return None
    child = started(lambda: pickle.dumps(compute(indices), protocol=pickle.HIGHEST_PROTOCOL))
    return Aside(tuple(indices), child) if child is not None else None
