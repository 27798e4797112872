"""When things happened to records — created, last update, entered its list, won, closed, days
in a list — one answer for automations (`days_in_list`, `days_since_update`), reminders and
dashboards alike.

The record's own words come first (its `created`/`updated` fields and `history`, appended by
`crm move`); git dates what the file does not say (hand edits leave no history entry); the
file's modification time dates what git has not seen yet:
- created: the record's `created`, else the commit that added its file, else its first move;
- last update: the latest of its own dates and of the commits that changed its data — one
  that only re-laid the file out (`crm fmt`, a comment) or sealed hidden values again
  (`crm secrets enable`/`rotate`) is no update; the commit that added
  the file counts when nothing else is known; an uncommitted change counts at the file's time;
- entered a list (its current one, a won one, a closed one): the start of the latest run of
  history entries in such lists, else of the latest run of commits in which the file had one;
- its list history (`crm log`): its history entries and the list changes commits made without
  adding one (hand edits of `list:`).

Which commits changed which file, and what the file held in each, is `git/file_versions.py`'s.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from crmcli.core.history_stamps import Stamped, stored_stamps
from crmcli.core.model import Project, Record
from crmcli.git.file_versions import FileVersions, Version
from crmcli.git.log import NO_OBJECT
from crmcli.secrets.cipher import same_but_sealing

_MAX_COMMITS_COMPARED = 10  # layout-only commits looked through before trusting older dates


@dataclass(frozen=True, slots=True)
class Move:
    """A record entering a list; `at` is None when the history entry has no readable time.
    `by` is the member key the entry names or the commit's author, `source` "history" or the
    commit's short id, `written` the moment as the entry or the commit wrote it (`crm log`
    shows it as written)."""

    list_name: str
    at: datetime | None
    by: str = ""
    source: str = "history"
    written: Any = None


_Entry = tuple[str, datetime | None, dict[str, Any]]  # a history entry's list, time, itself


_entry_time = operator.itemgetter(1)  # an entry's time: sorted only when every entry has one


class Timeline:
    """Moments of one workspace's records, in its time zone, as of `revision` (a commit), or
    of the working tree on top of HEAD when `revision` is None. Each answer is kept."""

    def __init__(self, root: Path, zone: ZoneInfo, revision: str | None = None) -> None:
        self.root = root
        self.zone = zone
        self.revision = revision
        self._git = FileVersions(root, zone, revision)
        self._moves: dict[str, list[Move]] = {}
        self._entries: dict[str, list[_Entry]] = {}
        self._stamped: dict[str, Stamped] = {}
        self._stored: set[str] = set()  # the paths whose stamps the index stored
        self._dates: dict[tuple[str, str], datetime | None] = {}
        self._outcome_lists: dict[tuple[str, str], frozenset[str]] = {}

    def close(self) -> None:
        self._git.close()

    def prefetch(self) -> None:
        """Ask git now what dating the records will need, if any is: git reads its log and
        compares the working tree while this process goes on (a dashboard counting stale
        deals needs git for every open one, and has other figures to compute meanwhile)."""
        self._git.prefetch()

    # reading moments

    def moment(self, value: Any) -> datetime | None:
        """A YAML date, date-time or ISO text as an aware date-time in the workspace zone (a
        time without offset is in that zone)."""
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                return None
        if isinstance(value, datetime):
            if value.tzinfo is None or value.tzinfo is self.zone:
                return value.replace(tzinfo=self.zone)
            return value.astimezone(self.zone)
        if isinstance(value, date):
            return datetime.combine(value, time(), self.zone)
        return None

    def day(self, value: Any) -> date | None:
        """The calendar day of a date or moment in the workspace time zone."""
        if isinstance(value, datetime) and value.tzinfo is self.zone:
            return value.date()  # as the timeline's dates are
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        moment = self.moment(value)
        return moment.date() if moment else None

    # the record's history

    def moves(self, record: Record) -> list[Move]:
        """The record's history entries in time order (entries without a time keep their place)."""
        moves = self._moves.get(record.path)
        if moves is None:
            moves = [
                Move(
                    name,
                    self._in_zone(at) if at else None,
                    str(entry["by"]) if entry.get("by") else "",
                    written=entry.get("at"),
                )
                for name, at, entry in self._entries_of(record)
            ]
            self._moves[record.path] = moves
        return moves

    def _entries_of(self, record: Record) -> list[_Entry]:
        """The record's history entries in time order (entries without a time keep their
        place), read once per record: each time is left in the offset it was written in
        (converting every entry of a hundred thousand histories to the workspace zone costs
        more than the rest of a dashboard's dates; a date chosen among them is converted)."""
        entries = self._entries.get(record.path)
        if entries is None:
            history = record.data.get("history")
            entries, timed = [], True
            for entry in history if isinstance(history, list) else ():
                if isinstance(entry, dict) and isinstance(name := entry.get("list"), str):
                    at = entry.get("at")  # an aware date-time as it is (see `_instant`)
                    if not (isinstance(at, datetime) and at.tzinfo is not None):
                        at = self.moment(at)
                        timed = timed and at is not None
                    entries.append((name, at, entry))
            if timed:
                entries.sort(key=_entry_time)
            self._entries[record.path] = entries
        return entries

    def _stamps(self, record: Record) -> Stamped:
        """The record's history as (list, POSIX time) in time order, what dating reads of
        it: as the index stored them (`core/history_stamps.py`), else from its entries."""
        stamps = self._stamped.get(record.path)
        if stamps is None:
            stamps = stored_stamps(record.data)
            if stamps is None:
                entries = self._entries_of(record)
                stamps = tuple((name, at.timestamp() if at else None) for name, at, _e in entries)
            else:
                self._stored.add(record.path)
            self._stamped[record.path] = stamps
        return stamps

    def _entry_moment(self, record: Record, index: int, stamp: float) -> datetime:
        """The time of the record's history entry at `index` (its stamp `stamp`) in the
        workspace zone: the same moment whether the index stored its stamp or not."""
        if record.path not in self._stored:
            at = self._entries_of(record)[index][1]
            if at is not None:  # as read: a time in a zone's skipped hour stays as written
                return self._in_zone(at)
        return datetime.fromtimestamp(stamp, self.zone)

    def _instant(self, value: Any) -> datetime | None:
        """An aware date-time as it is (it compares and subtracts as the same instant in any
        zone), anything else as `moment` reads it."""
        if isinstance(value, datetime) and value.tzinfo is not None:
            return value
        return self.moment(value)

    def _in_zone(self, moment: datetime) -> datetime:
        return moment if moment.tzinfo is self.zone else moment.astimezone(self.zone)

    def list_history(self, record: Record) -> list[Move]:
        """The lists the record entered, oldest first: its history entries, and the list changes
        commits made without adding a history entry (hand edits of `list:`)."""
        seen = [self._seen_move(version) for version in reversed(self._git.of(record.path))]
        moves = self.moves(record) + [move for move in seen if move is not None]
        return sorted(moves, key=lambda move: move.at.timestamp() if move.at else float("inf"))

    def stages(self, record: Record) -> list[str]:
        """The lists a record went through: its history's, or else just the list it is in."""
        names = [list_name for list_name, _at in self._stamps(record)]
        if names or record.list_name is None:
            return names
        return [record.list_name]

    def stays(self, record: Record) -> list[tuple[str, float]]:
        """(list, days) for each list the record entered and later left, from its history
        (each entry's timestamp taken once: it ends one stay and starts the next)."""
        return [
            (list_name, (following - at) / 86400)
            for (list_name, at), (_next, following) in itertools.pairwise(self._stamps(record))
            if at is not None and following is not None
        ]

    # the dates

    def date(self, name: str, project: Project, record: Record) -> datetime | None:
        """created, updated, won_at or closed_at of a record."""
        key = (name, record.path)
        if key not in self._dates:
            self._dates[key] = self.dater(name, project)(record)
        return self._dates[key]

    def dater(self, name: str, project: Project) -> Callable[[Record], datetime | None]:
        """created, updated, won_at or closed_at of the records of one project, as `date`
        gives it, for a caller dating a hundred thousand of them that keeps their days."""
        if name == "created":
            return self.created
        if name == "updated":
            return self.last_update
        wanted = self.outcome_lists(project, "won" if name == "won_at" else "closed")
        return lambda record: self._entered(record, wanted.__contains__)

    def created(self, record: Record) -> datetime | None:
        own = self.moment(record.data.get("created"))
        if own:
            return own
        added = [v.at for v in self._git.of(record.path) if v.change.status == "A"]
        if added:
            return added[-1]
        first = self._stamps(record)[:1]
        stamp = first[0][1] if first else None
        return self._entry_moment(record, 0, stamp) if stamp is not None else None

    def last_update(self, record: Record) -> datetime:
        """The latest moment the record's data is known to have changed."""
        own = [m for m in self._own_moments(record) if m is not None]
        versions = self._git.of(record.path)
        changed = self._last_data_change(versions, max(own, default=None))
        known = own + ([changed] if changed else [])
        added = [v.at for v in versions if v.change.status == "A"]
        if not known and added:
            known.append(added[0])
        if not known or self._changed_since_commit(record, versions):
            known.append(self._modified(record))
        return self._in_zone(max(known))

    def entered_list(self, record: Record) -> datetime:
        """When the record entered the list it is in now."""
        current = record.list_name
        entered = self._entered(record, lambda name: name == current)
        return entered or self._modified(record)

    def won_at(self, project: Project, record: Record) -> datetime | None:
        return self._entered(record, self.outcome_lists(project, "won").__contains__)

    def closed_at(self, project: Project, record: Record) -> datetime | None:
        return self._entered(record, self.outcome_lists(project, "closed").__contains__)

    def outcome_lists(self, project: Project, kind: str) -> frozenset[str]:
        """The names of the project's won lists, or of its closed ones (won, lost or closed):
        a name looked up in a set, for every entry of a hundred thousand histories."""
        key = (project.key, kind)
        names = self._outcome_lists.get(key)
        if names is None:
            names = self._outcome_lists[key] = frozenset(
                name
                for name, stage in project.lists.items()
                if (stage.outcome == "won" if kind == "won" else stage.outcome != "open")
            )
        return names

    def days_in_list(self, record: Record, now: datetime) -> int:
        """Whole days (of 24 hours) from entering its list to `now`."""
        return (now - self.entered_list(record)).days

    def days_since_update(self, record: Record, now: datetime) -> int:
        """Whole days (of 24 hours) from its last update to `now`."""
        return (now - self.last_update(record)).days

    # how they are found

    def _own_moments(self, record: Record) -> list[datetime | None]:
        """Its `updated` and `created`, and the latest of its history entries."""
        own = [self._instant(record.data.get(key)) for key in ("updated", "created")]
        stamps = self._stamps(record)
        timed = [(at, index) for index, (_name, at) in enumerate(stamps) if at is not None]
        if timed:
            latest, index = max(timed, key=lambda pair: (pair[0], -pair[1]))  # the first of ties
            own.append(self._entry_moment(record, index, latest))
        return own

    def _last_data_change(self, versions: list[Version], after: datetime | None) -> datetime | None:
        """The latest commit after `after` that changed the record's data."""
        for version in versions[:_MAX_COMMITS_COMPARED]:
            if after is not None and version.at <= after:
                break
            change = version.change
            if change.status == "M" and not same_but_sealing(
                self._git.blob(change.old_object), self._git.blob(change.new_object)
            ):
                return version.at
        return None

    def _entered(self, record: Record, wanted: Callable[[Any], bool]) -> datetime | None:
        """When the record entered the run of `wanted` lists it is still in; None if it is
        not in one, or nothing says when."""
        if not wanted(record.list_name):
            return None
        stamps, first = self._stamps(record), None
        for index in range(len(stamps) - 1, -1, -1):
            list_name, at = stamps[index]
            if not wanted(list_name):
                break
            first = (index, at) if at is not None else first
        if first is not None:
            return self._entry_moment(record, *first)
        since = None
        for version in self._git.of(record.path):
            content = self._git.blob(version.change.new_object)
            if not wanted(content.get("list") if isinstance(content, dict) else None):
                break
            since = version.at
        return since

    def _seen_move(self, version: Version) -> Move | None:
        """The list a commit put the file in without adding a history entry, if it did."""
        old, new = (
            self._git.blob(version.change.old_object),
            self._git.blob(version.change.new_object),
        )
        old, new = (old if isinstance(old, dict) else {}), (new if isinstance(new, dict) else {})
        entered = new.get("list")
        if not isinstance(entered, str) or not entered or entered == old.get("list"):
            return None
        old_history, new_history = (_history(old), _history(new))
        if any(entry not in old_history for entry in new_history):
            return None
        commit = version.commit
        return Move(entered, version.at, commit.author, commit.short, commit.date)

    def _changed_since_commit(self, record: Record, versions: list[Version]) -> bool:
        """Whether the working tree holds data of the record that no commit has."""
        if not self._git.uncommitted(record.path):
            return False
        committed = versions[0].change.new_object if versions else NO_OBJECT
        return self._git.blob(committed) != {**record.data, **record.sealed}  # as the file has it

    def _modified(self, record: Record) -> datetime:
        try:
            stamp = (self.root / record.path).stat().st_mtime
        except OSError:
            return datetime.now(self.zone)
        return datetime.fromtimestamp(stamp, self.zone)

    # git


def _history(content: dict[str, Any]) -> list[Any]:
    history = content.get("history")
    return history if isinstance(history, list) else []
