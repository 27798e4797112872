"""What automations already did: a plain, mergeable JSON-lines file.

One line per fact, sorted by key, e.g.

    {"kind":"reminder","rule":"Aging deal","record":"opportunities/acme","to":"alice","episode":"…","at":"…"}
    {"kind":"event","rule":"Stage change","record":"opportunities/acme","event":"moved:…","to":"channel:sales","at":"…"}
    {"kind":"round_robin","rule":"Assign new leads","position":7,"at":"…"}
    {"kind":"pending","rule":"Stage change","record":"opportunities/acme","event":"moved:…","to":"alice","trigger":{…},"at":"…"}
    {"kind":"reset","at":"…"}

A `pending` line is an event's notification whose delivery failed: it holds the event itself
(`trigger`), so that `crm remind` and `crm automate` deliver it later, and it is settled by the
`event` line of the same rule, record, event and recipient — also when two branches merged
(a settled pending line is dropped when the file is rewritten). A `reset` line says when the
state was started again from nothing on purpose (`crm remind --reset-state`).

A line is added (appended and flushed) right after its delivery succeeded, so a run that dies
half-way keeps what it sent; the file is rewritten sorted at the end — except by a form server,
which only appends (a rewrite per submission costs as much as the file is long): a key found on
several lines is read as its latest line, and the next run that saves rewrites the file. Two branches that both
added lines merge cleanly (`merge=union` in .gitattributes); when a key appears twice the
latest `at` wins. A file that cannot be read stops the run: silently starting from nothing
would send every reminder again.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from crmcli.core.state_dir import STATE_DIR, state_folder
from crmcli.editing.atomic import sha256, write_atomically
from crmcli.errors import CrmError
from crmcli.i18n import _
from crmcli.i18n.lists import or_list

DEFAULT_STATE_FILE = f"{STATE_DIR}/automations-state.jsonl"
KEY_FIELDS = ("kind", "rule", "record", "event", "to")
_REQUIRED = {
    "reminder": ("rule", "record", "to", "episode"),
    "event": ("rule", "record", "event", "to"),
    "round_robin": ("rule", "position"),
    "pending": ("rule", "record", "event", "to", "trigger"),
    "reset": (),
}
_CONFLICT_MARKS = ("<<<<<<<", "=======", ">>>>>>>", "|||||||")
Key = tuple[str, ...]


def entry_key(entry: dict[str, Any]) -> Key:
    return tuple(str(entry.get(name, "")) for name in KEY_FIELDS)


class AutomationState:
    def __init__(self, path: Path, label: str) -> None:
        self.path = path
        self.label = label
        self.entries: dict[Key, dict[str, Any]] = {}
        self.changed = False
        self.dropped: set[Key] = set()  # pending lines given up (their rule or record is gone)
        self.untidy = False  # a key on several lines (appended by a form server): save rewrites

    @classmethod
    def load(cls, path: Path, label: str) -> AutomationState:
        state = cls(path, label)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return state
        except OSError as error:
            raise state._broken(1, str(error.strerror or error)) from None
        for number, raw in enumerate(data.splitlines(), start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise state._broken(number, _("the line is not UTF-8 text")) from None
            if line.strip():
                state._merge(state._parse(number, line))
        return state

    def _parse(self, number: int, line: str) -> dict[str, Any]:
        if line.startswith(_CONFLICT_MARKS):
            raise self._broken(
                number,
                _(
                    "unresolved merge conflict; keep the lines of both sides and delete the "
                    "marker lines (or set “merge=union” for this file in .gitattributes)"
                ),
            )
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as error:
            raise self._broken(
                number, _("not a JSON line: {reason}").format(reason=error.msg)
            ) from None
        problem = _entry_problem(entry)
        if problem:
            raise self._broken(number, problem)
        return entry

    def _broken(self, number: int, reason: str) -> CrmError:
        return CrmError(
            _(
                "{path}:{line}: the automation state cannot be read: {reason}. Nothing was "
                "sent: fix or delete that line (deleting the whole file would send every due "
                "reminder again)"
            ).format(path=self.label, line=number, reason=reason)
        )

    def _merge(self, entry: dict[str, Any]) -> None:
        key = entry_key(entry)
        known = self.entries.get(key)
        self.untidy |= known is not None
        if known is None or _moment(entry["at"]) >= _moment(known["at"]):
            self.entries[key] = entry

    # reading and remembering

    def get(self, **fields: str) -> dict[str, Any] | None:
        return self.entries.get(entry_key(fields))

    def remember(self, entry: dict[str, Any], persist: bool = True) -> None:
        """Record a fact; with persist, append it to the file at once (a delivery happened)."""
        self.entries[entry_key(entry)] = entry
        self.changed = True
        if persist:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(_line(entry) + "\n")
                handle.flush()
                os.fsync(handle.fileno())

    def pending(self) -> list[dict[str, Any]]:
        """The notifications still owed: pending lines without their `event` line."""
        return [
            entry
            for key, entry in sorted(self.entries.items())
            if entry["kind"] == "pending" and not self._settled(key)
        ]

    def drop(self, entry: dict[str, Any]) -> None:
        """Give up a pending notification (said in the run's report)."""
        self.dropped.add(entry_key(entry))
        self.changed = True

    def _settled(self, key: Key) -> bool:
        return key in self.dropped or ("event", *key[1:]) in self.entries

    def save(self) -> None:
        """Rewrite the file sorted by key (mergeable), atomically; settled pending lines go."""
        if not self.changed and not self.untidy:
            return
        for entry in AutomationState.load(self.path, self.label).entries.values():
            self._merge(entry)  # lines that `crm move` appended meanwhile
        kept = [
            key for key in sorted(self.entries) if key[0] != "pending" or not self._settled(key)
        ]
        text = "".join(_line(self.entries[key]) + "\n" for key in kept)
        current = sha256(self.path.read_bytes()) if self.path.exists() else None
        write_atomically(self.path, text, current)
        self.changed = self.untidy = False


def _line(entry: dict[str, Any]) -> str:
    names = (*KEY_FIELDS, "episode", "position", "trigger", "at")
    ordered = {k: entry[k] for k in names if k in entry}
    return json.dumps(ordered, ensure_ascii=False, separators=(",", ":"))


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _entry_problem(entry: Any) -> str | None:
    if not isinstance(entry, dict):
        return _("each line must be a JSON object")
    kind = entry.get("kind")
    if kind not in _REQUIRED:
        return _("unknown kind “{kind}” (expected one of {kinds})").format(
            kind=kind, kinds=or_list(_REQUIRED)
        )
    missing = [name for name in (*_REQUIRED[kind], "at") if name not in entry]
    if missing:
        return _("“{field}” is missing").format(field=missing[0])
    try:
        moment = _moment(str(entry["at"]))
    except ValueError:
        return _("“at” is not a date and time: {value}").format(value=entry["at"])
    if moment.tzinfo is None:
        return _(
            "“at” has no time zone: {value} (write it as crm does, e.g. 2026-11-23T09:00:00+01:00)"
        ).format(value=entry["at"])
    if kind == "round_robin" and not (
        isinstance(entry["position"], int) and entry["position"] >= 0
    ):
        return _("“position” must be a whole number")
    if kind == "pending" and not (
        isinstance(entry["trigger"], dict) and isinstance(entry["trigger"].get("kind"), str)
    ):
        return _("“trigger” must be an object that names the event’s kind")
    return None


@contextmanager
def exclusive_run(root: Path) -> Iterator[None]:
    """One `crm remind` / `crm automate` at a time per workspace (they share the state)."""
    folder = state_folder(root)
    folder.mkdir(exist_ok=True)
    with (folder / "automations.lock").open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CrmError(
                _("another crm remind or crm automate is running in this workspace; try later")
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
