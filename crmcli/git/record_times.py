"""When a record entered its list and when it last changed, for `days_in_list` and
`days_since_update`.

The sources, in order:
1. the record itself: its `history` (appended by `crm move`), `updated` and `created`;
2. git: the commits that changed the record's file (hand edits leave no history entry);
3. the file's modification time, when the workspace is not in git or the file is new.

Git is asked once for the whole workspace (one `git log`), and only when some record needs
it; a file's old versions are read through one `git cat-file` process.
"""

from __future__ import annotations

import subprocess
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from crmcli.core.model import Record
from crmcli.core.yamlio import MAX_RECORD_BYTES, YamlReadError, decode_text, parse
from crmcli.errors import CrmError
from crmcli.git.run import git_bytes

_COMMIT_WORD = "commit "
_MAX_COMMITS_COMPARED = 10  # layout-only commits looked through before trusting the record's dates


class RecordTimes:
    """Moments of one workspace's records, in the workspace time zone."""

    def __init__(self, root: Path, zone: ZoneInfo) -> None:
        self.root = root
        self.zone = zone
        self._commits: dict[str, list[tuple[str, datetime, str]]] | None = None
        self._dirty: set[str] = set()
        self._reader: subprocess.Popen[bytes] | None = None
        self._prefix = ""

    # public

    def entered_list(self, record: Record) -> datetime:
        """When the record entered the list it is in now."""
        current = record.list_name
        entry = _last_history_entry(record)
        if entry is not None and entry[0] == current:
            return self._aware(entry[1])
        from_git = self._entered_list_from_git(record.path, current)
        return from_git or self._modified(record.path)

    def last_update(self, record: Record) -> datetime:
        """The latest moment the record is known to have changed: its own dates and the
        commits that changed its file (the one that added it only when it has no dates)."""
        known = [self._aware(m) for m in _record_moments(record)]
        commits = self._file_commits(record.path)
        changed = self._last_data_change(record.path, commits)
        if changed is not None:
            known.append(changed)
        elif commits and not known:
            known.append(commits[0][1])
        if not known or self._changed_since_head(record):
            known.append(self._modified(record.path))
        return max(known)

    def _last_data_change(
        self, relative: str, commits: list[tuple[str, datetime, str]]
    ) -> datetime | None:
        """The latest commit that changed the record's data: one that only re-laid the file
        out (`crm fmt`, a comment) is no update."""
        path = f"{self._prefix}{relative}"
        for commit, moment, status in commits[:_MAX_COMMITS_COMPARED]:
            if status == "M" and self._data_at(f"{commit}:{path}") != self._data_at(
                f"{commit}^:{path}"
            ):
                return moment
        return None

    def _changed_since_head(self, record: Record) -> bool:
        if record.path not in self._dirty:
            return False
        return self._data_at(f"HEAD:{self._prefix}{record.path}") != record.data

    def close(self) -> None:
        if self._reader is not None:
            self._reader.communicate()
            self._reader = None

    # the record's own dates

    def _aware(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            return moment.replace(tzinfo=self.zone)
        return moment.astimezone(self.zone)

    def _modified(self, relative: str) -> datetime:
        try:
            stamp = (self.root / relative).stat().st_mtime
        except OSError:
            return datetime.now(self.zone)
        return datetime.fromtimestamp(stamp, self.zone)

    # git

    def _file_commits(self, relative: str) -> list[tuple[str, datetime, str]]:
        if self._commits is None:
            self._read_log()
        assert self._commits is not None
        return self._commits.get(relative, [])

    def _read_log(self) -> None:
        """(commit, time, status) of every commit that changed each file, newest first."""
        self._commits = {}
        try:
            inside = git_bytes(self.root, "rev-parse", "--show-prefix", check=False)
            if not inside and not (self.root / ".git").exists():
                return
            self._prefix = inside.decode("utf-8", "surrogateescape").strip()
            log = git_bytes(
                self.root,
                "log",
                "--no-renames",
                "--name-status",
                "-z",
                "--format=%x00commit %H %ct",
                "--",
                ".",
                check=False,
            )
            status = git_bytes(self.root, "status", "--porcelain", "-z", "--", ".", check=False)
        except CrmError:  # git is not installed: file dates it is
            return
        self._parse_log(log.decode("utf-8", "surrogateescape"))
        for item in status.decode("utf-8", "surrogateescape").split("\0"):
            if len(item) > 3:
                self._dirty.add(item[3:].removeprefix(self._prefix))

    def _parse_log(self, text: str) -> None:
        assert self._commits is not None
        commit, moment, status = "", None, ""
        for chunk in text.split("\0"):
            chunk = chunk.strip("\n")
            if chunk.startswith(_COMMIT_WORD):
                _word, commit, stamp = chunk.split(" ", 2)
                moment = datetime.fromtimestamp(int(stamp), self.zone)
            elif not status:
                status = chunk  # M, A or D; the path follows
            elif moment is not None:
                path = chunk.removeprefix(self._prefix)
                self._commits.setdefault(path, []).append((commit, moment, status))
                status = ""

    def _entered_list_from_git(self, relative: str, current: str | None) -> datetime | None:
        """The first commit of the latest run of commits in which the file had this list."""
        commits = self._file_commits(relative)
        entered = None
        for commit, moment, _status in commits:
            if self._list_at(commit, relative) != current:
                break
            entered = moment
        return entered

    def _list_at(self, commit: str, relative: str) -> Any:
        """The list of the file as committed."""
        document = self._data_at(f"{commit}:{self._prefix}{relative}")
        return document.get("list") if isinstance(document, dict) else None

    def _data_at(self, name: str) -> Any:
        """The parsed content of a blob named like `COMMIT:path` (None if absent or broken)."""
        data = self._blob(name)
        if data is None:
            return None
        try:
            return parse(decode_text(data)).data
        except YamlReadError:
            return None

    def _blob(self, name: str) -> bytes | None:
        if self._reader is None:
            self._reader = subprocess.Popen(
                ["git", "-C", str(self.root), "cat-file", "--batch"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
        reader = self._reader
        assert reader.stdin is not None and reader.stdout is not None
        reader.stdin.write(name.encode("utf-8", "surrogateescape") + b"\n")
        reader.stdin.flush()
        header = reader.stdout.readline().split()
        if len(header) < 3 or header[1] != b"blob":
            return None
        size = int(header[2])
        data = reader.stdout.read(size)
        reader.stdout.read(1)
        return data if size <= MAX_RECORD_BYTES else None


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time())
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def _last_history_entry(record: Record) -> tuple[Any, datetime] | None:
    history = record.data.get("history")
    if not isinstance(history, list) or not history:
        return None
    entry = history[-1]
    if not isinstance(entry, dict):
        return None
    moment = _moment(entry.get("at"))
    return (entry.get("list"), moment) if moment is not None else None


def _record_moments(record: Record) -> list[datetime]:
    found = [_moment(record.data.get(key)) for key in ("updated", "created")]
    entry = _last_history_entry(record)
    if entry is not None:
        found.append(entry[1])
    return [m for m in found if m is not None]
