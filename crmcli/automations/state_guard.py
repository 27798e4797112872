"""A state file that held lines must not come back empty or missing in silence: started again
from nothing, `crm remind` would send every due reminder a second time.

How crm knows the file existed: a small marker in `.crm/` (the file's path → how many lines it
held at the last run), and, for a state file kept in the repository, its git history (a
`git checkout` or a merge that empties it, in a fresh CI clone without `.crm/`). A first run —
no marker, no history — starts silently as always. `crm remind --reset-state` starts again
from nothing on purpose: it writes a `reset` line, so the file is not empty afterwards.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from crmcli.automations.state import AutomationState
from crmcli.core.state_dir import STATE_DIR, state_folder
from crmcli.editing.atomic import replace_all
from crmcli.errors import CrmError
from crmcli.i18n import _, counted, ngettext

MARKER = "automations-state.seen.json"


def guard(root: Path, state: AutomationState, now: str, reset: bool) -> None:
    """CrmError when the state is empty or missing but held lines before (unless `reset`:
    then a reset line starts it again); the marker learns a state file it did not know."""
    key = _key(root, state.path)
    seen = _read_marker(root)
    if state.entries:
        if key not in seen:
            note_lines(root, state)
        return
    if reset:
        state.remember({"kind": "reset", "at": now}, persist=False)
        return
    lines = seen.get(key)
    if isinstance(lines, int) and lines > 0:
        raise CrmError(
            ngettext(
                "{path} is empty or missing, but it held {count} line of what automations "
                "already sent. Nothing was sent: restore the file (from git or a backup); to "
                "start again from nothing on purpose, knowing that every due reminder is sent "
                "again, run crm remind --reset-state",
                "{path} is empty or missing, but it held {count} lines of what automations "
                "already sent. Nothing was sent: restore the file (from git or a backup); to "
                "start again from nothing on purpose, knowing that every due reminder is sent "
                "again, run crm remind --reset-state",
                lines,
            ).format(path=state.label, count=counted(lines))
        )
    commit = _last_commit_with_lines(root, state.path)
    if commit:
        raise CrmError(
            _(
                "{path} is empty or missing, but commit {commit} holds lines of what "
                "automations already sent. Nothing was sent: restore the file (git checkout "
                "{commit} -- {path}); to start again from nothing on purpose, knowing that "
                "every due reminder is sent again, run crm remind --reset-state"
            ).format(path=state.label, commit=commit)
        )


def note_lines(root: Path, state: AutomationState) -> None:
    """Remember in `.crm/` how many lines the state file holds now."""
    seen = _read_marker(root)
    key = _key(root, state.path)
    if seen.get(key, 0) == len(state.entries):
        return
    seen[key] = len(state.entries)
    text = json.dumps(seen, ensure_ascii=False, indent=1) + "\n"
    replace_all({state_folder(root) / MARKER: text.encode("utf-8")})


def _key(root: Path, path: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path.resolve())


def _read_marker(root: Path) -> dict[str, Any]:
    """The marker's map; a marker that cannot be read is one crm does not trust (empty)."""
    try:
        data = json.loads((root / STATE_DIR / MARKER).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _last_commit_with_lines(root: Path, path: Path) -> str | None:
    """The last commit in which a state file kept in the repository held lines, if any."""
    from crmcli.git.run import git

    try:
        relative = path.resolve().relative_to(root.resolve())
    except ValueError:
        return None
    if relative.parts[:1] == (STATE_DIR,):
        return None
    try:
        log = git(root, "log", "--format=commit %h", "--numstat", "--", str(relative), check=False)
    except CrmError:  # git is not installed: nothing to ask
        return None
    lines, found = 0, None
    for row in reversed(log.splitlines()):  # oldest first: a commit's numstat rows, then it
        if row.startswith("commit "):
            if lines > 0:
                found = row.removeprefix("commit ")
            continue
        added, _tab, rest = row.partition("\t")
        deleted = rest.partition("\t")[0]
        if added.isdigit() and deleted.isdigit():
            lines += int(added) - int(deleted)
    return found
