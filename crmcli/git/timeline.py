"""When things happened to records: moves between lists, creation, last update, won, closed.

The record's own words come first (its `created`/`updated` fields and `history`); git dates
what the file does not say: the commit that added the file is when it was created, and the
latest commit whose change wrote `list: <a won list>` is when a deal without history was won.
Git is asked once per project and question, and only for records that need it.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from crmcli.core.model import Project, Record
from crmcli.errors import CrmError
from crmcli.git.run import git

_LIST_LINE = re.compile(r"^\+list:\s*(?P<name>.+?)\s*(?:#.*)?$")


@dataclass(frozen=True, slots=True)
class Move:
    """A record entering a list; `at` is None when the history entry has no readable time."""

    list_name: str
    at: datetime | None


class GitDates:
    """Commit times from the repository that holds the workspace, as of `revision`."""

    def __init__(self, root: Path, revision: str) -> None:
        self.root = root
        self.revision = revision

    @classmethod
    def find(cls, root: Path, revision: str = "HEAD") -> GitDates | None:
        """None when the workspace is not in a git repository or `revision` has no commit."""
        try:
            found = git(
                root, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}", check=False
            )
        except CrmError:
            return None
        return cls(root, found.strip()) if found.strip() else None

    def _log(self, *args: str) -> str:
        return git(self.root, "-c", "core.quotepath=off", "log", self.revision, "--relative", *args)

    def _file_times(self, folder: str, *args: str) -> dict[str, list[datetime]]:
        """path → commit times (newest first) of the commits that touched it."""
        times: dict[str, list[datetime]] = {}
        moment = None
        for line in self._log("--format=%x01%cI", "--name-only", *args, "--", folder).splitlines():
            if line.startswith("\x01"):
                moment = datetime.fromisoformat(line[1:])
            elif line and moment is not None:
                times.setdefault(line, []).append(moment)
        return times

    def added(self, folder: str) -> dict[str, datetime]:
        """path → when the file was first added (the oldest commit that added it)."""
        return {path: t[-1] for path, t in self._file_times(folder, "--diff-filter=A").items()}

    def last_changed(self, folder: str) -> dict[str, datetime]:
        return {path: t[0] for path, t in self._file_times(folder).items()}

    def entered(self, paths: Iterable[str], lists: set[str]) -> dict[str, datetime]:
        """path → the latest commit whose change set the file's `list:` to one of `lists`."""
        paths = sorted(paths)
        if not paths:
            return {}
        found: dict[str, datetime] = {}
        moment, current = None, None
        for line in self._log(
            "--format=%x01%cI", "-p", "-U0", "--no-renames", "--", *paths
        ).splitlines():
            if line.startswith("\x01"):
                moment = datetime.fromisoformat(line[1:])
            elif line.startswith("+++ "):
                current = line[6:] if line.startswith("+++ b/") else None
            elif current and current not in found and moment is not None:
                match = _LIST_LINE.match(line)
                if match and _unquote(match["name"]) in lists:
                    found[current] = moment
        return found


def _unquote(text: str) -> str:
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"" else text


class Timeline:
    """Dates of records; computed once per record and kept."""

    def __init__(self, zone: ZoneInfo, git_dates: GitDates | None) -> None:
        self.zone = zone
        self.git = git_dates
        self._moves: dict[str, list[Move]] = {}
        self._dates: dict[tuple[str, str], datetime | None] = {}
        self._from_git: dict[tuple[str, str], dict[str, datetime]] = {}

    def moment(self, value: Any) -> datetime | None:
        """A YAML date, date-time or ISO text as an aware date-time (a time without offset
        is in the workspace zone). Its own offset is kept: converting is left to `day`."""
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                return None
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=self.zone)
        if isinstance(value, date):
            return datetime.combine(value, time(), self.zone)
        return None

    def day(self, value: Any) -> date | None:
        """The calendar day of a date or moment in the workspace time zone."""
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        moment = self.moment(value)
        return moment.astimezone(self.zone).date() if moment else None

    def moves(self, record: Record) -> list[Move]:
        """The record's history entries in time order (entries without a time keep their place)."""
        moves = self._moves.get(record.path)
        if moves is None:
            history = record.data.get("history")
            moves = [
                Move(entry["list"], self.moment(entry.get("at")))
                for entry in (history if isinstance(history, list) else [])
                if isinstance(entry, dict) and isinstance(entry.get("list"), str)
            ]
            if all(move.at for move in moves):
                moves.sort(key=lambda move: move.at)  # type: ignore[arg-type, return-value]
            self._moves[record.path] = moves
        return moves

    def stages(self, project: Project, record: Record) -> list[Move]:
        """The lists a record went through: its history, or else just the list it is in."""
        moves = self.moves(record)
        if moves or record.list_name is None:
            return moves
        return [Move(record.list_name, self.created(project, record))]

    def date(self, name: str, project: Project, record: Record) -> datetime | None:
        """created, updated, won_at or closed_at of a record."""
        key = (name, record.path)
        if key not in self._dates:
            self._dates[key] = _RECORD_DATES[name](self, project, record)
        return self._dates[key]

    def created(self, project: Project, record: Record) -> datetime | None:
        own = self.moment(record.data.get("created"))
        if own:
            return own
        added = self._git(project, "added", lambda r: not r.data.get("created"))
        if record.path in added:
            return added[record.path]
        moves = self.moves(record)
        return moves[0].at if moves else None

    def updated(self, project: Project, record: Record) -> datetime | None:
        """The latest of the record's `updated` and its last move; else git's last commit."""
        times = [self.moment(record.data.get("updated"))]
        times += [move.at for move in self.moves(record)]
        known = [moment for moment in times if moment]
        if known:
            return max(known)
        changed = self._git(
            project, "changed", lambda r: not r.data.get("updated") and not self.moves(r)
        )
        if record.path in changed:
            return changed[record.path]
        return self.created(project, record)

    def won_at(self, project: Project, record: Record) -> datetime | None:
        return self._entered(project, record, "won", lambda outcome: outcome == "won")

    def closed_at(self, project: Project, record: Record) -> datetime | None:
        return self._entered(project, record, "closed", lambda outcome: outcome != "open")

    def _entered(
        self, project: Project, record: Record, question: str, wanted: Callable[[str], bool]
    ) -> datetime | None:
        """When the record entered the run of `wanted` lists it is still in; None if not in one."""
        if not _in(project, record.list_name, wanted):
            return None
        since = None
        found = False
        for move in self.moves(record):
            if _in(project, move.list_name, wanted):
                since = since or move.at
                found = True
            else:
                since, found = None, False
        if found:
            return since
        entered = self._git(
            project,
            question,
            lambda r: (
                _in(project, r.list_name, wanted)
                and not any(_in(project, m.list_name, wanted) for m in self.moves(r))
            ),
            {name for name, stage in project.lists.items() if wanted(stage.outcome)},
        )
        return entered.get(record.path)

    def _git(
        self,
        project: Project,
        question: str,
        needs: Callable[[Record], bool],
        lists: set[str] | None = None,
    ) -> dict[str, datetime]:
        """Ask git once per project and question, about the records that need it."""
        key = (project.key, question)
        if key not in self._from_git:
            answers: dict[str, datetime] = {}
            if self.git is not None:
                paths = [r.path for r in project.records.values() if needs(r)]
                if paths and question == "added":
                    answers = self.git.added(project.key)
                elif paths and question == "changed":
                    answers = self.git.last_changed(project.key)
                elif paths:
                    answers = self.git.entered(paths, lists or set())
            self._from_git[key] = answers
        return self._from_git[key]

    def stays(self, record: Record) -> list[tuple[str, float]]:
        """(list, days) for each list the record entered and later left, from its history."""
        moves = self.moves(record)
        return [
            (move.list_name, (following.at.timestamp() - move.at.timestamp()) / 86400)
            for move, following in itertools.pairwise(moves)
            if move.at and following.at
        ]


def _in(project: Project, list_name: str | None, wanted: Callable[[str], bool]) -> bool:
    stage = project.lists.get(list_name) if list_name else None
    return stage is not None and wanted(stage.outcome)


_RECORD_DATES: dict[str, Callable[[Timeline, Project, Record], datetime | None]] = {
    "created": Timeline.created,
    "updated": Timeline.updated,
    "won_at": Timeline.won_at,
    "closed_at": Timeline.closed_at,
}
