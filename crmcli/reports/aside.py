"""A dashboard's charts computed by a forked child while this process computes its cards and
tables: on a hundred thousand deals each half costs seconds, and the two run on two cores.

The child inherits the opened workspace and what was found before the fork (nothing is sent to
it): what widgets on both sides read is found once, before. It is forked before git is asked
anything, so that it never reads git's answers to this process (it asks git itself if it
needs to); it reads the index through a connection of its own (SQLite's may not cross
fork()), and sends back its figures. They are the same figures either way, computed by the
same code from the same records: a child that fails in any way, a small workspace, one core
or `CRM_PROCESSES=1`, and every figure is computed here.

The child takes the pies, bars and boards that do not date last updates: those that do read
git for every open deal, which this process has already asked.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from crmcli.core.forked import Child, answering
from crmcli.core.parse_pool import fork_workers
from crmcli.reports.figures import BoardFigure, Chart, Figure, Omitted, RecordTable, Stat
from crmcli.reports.spec import Widget

SHARED_FROM = 20_000  # records in the dashboard's projects; below, forking costs what it saves
_DRAWN = ("bar", "pie", "board")
_FIGURES = (Stat, Chart, RecordTable, Omitted, BoardFigure)
Need = tuple[str, str]  # a project's key, and a `where:` expression ("": its records)


@dataclass(frozen=True, slots=True)
class Aside:
    """The widgets a forked child computes, by their place in the dashboard."""

    indices: tuple[int, ...]
    child: Child

    def figures(self) -> dict[int, Figure]:
        """The child's figures; empty when it did not send them all (they are computed here)."""
        figures = self.child.answer()
        if not isinstance(figures, dict) or set(figures) != set(self.indices):
            return {}
        return figures if all(isinstance(f, _FIGURES) for f in figures.values()) else {}


def aside_indices(widgets: Sequence[Widget]) -> list[int]:
    """The places of the widgets a child computes: pies, bars and boards not dating updates."""
    return [i for i, w in enumerate(widgets) if w.type in _DRAWN and not w.dates_updates]


def worth_forking(widgets: Sequence[Widget], indices: Sequence[int], records: int) -> bool:
    """Whether a child is worth it: a large dashboard, work on both sides, two cores."""
    if records < SHARED_FROM or not indices or len(indices) == len(widgets):
        return False
    return fork_workers() >= 2


def shared_needs(
    widgets: Sequence[Widget], indices: Sequence[int], needs: Callable[[Widget], set[Need]]
) -> list[Need]:
    """What widgets on both sides read: found once before the fork rather than twice after
    (the records of a hundred thousand deals, a `where:` over them)."""
    aside = set(indices)
    theirs = {n for i, w in enumerate(widgets) if i in aside for n in needs(w)}
    mine = {n for i, w in enumerate(widgets) if i not in aside for n in needs(w)}
    return sorted(theirs & mine)


def start_aside(
    indices: Sequence[int], compute: Callable[[list[int]], dict[int, Figure]]
) -> Aside | None:
    """A child computing the figures at `indices` (`compute` runs in the child); None if it
    cannot start."""
    chosen = list(indices)
    child = answering(lambda: compute(chosen))
    return Aside(tuple(chosen), child) if child is not None else None
