"""Settling an interrupted multi-file write: rolled forward when every step can be done,
else back from its backups, never over a file edited by hand since (`editing/journal.py` says
what the journal holds). Run under the workspace lock before any command goes on.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from crmcli.core.state_dir import STATE_DIR
from crmcli.editing.atomic import current_sha
from crmcli.editing.journal import (
    COMMITTED,
    INTENT,
    JOURNAL,
    ConflictError,
    Step,
    apply_all,
    journal_folder,
    remove_journal,
    undo,
)
from crmcli.errors import CrmError
from crmcli.i18n import _, counted, ngettext
from crmcli.i18n.lists import value_list


@dataclass(frozen=True, slots=True)
class Recovery:
    """What `recover` did to an interrupted transaction: rolled it "forward" or "back"."""

    way: str
    files: int

    def message(self) -> str:
        if self.way == "forward":
            text = ngettext(
                "An interrupted write of {count} file was completed.",
                "An interrupted write of {count} files was completed.",
                self.files,
            )
        else:
            text = ngettext(
                "An interrupted write of {count} file was undone.",
                "An interrupted write of {count} files was undone.",
                self.files,
            )
        return text.format(count=counted(self.files))


def has_journal(root: Path) -> bool:
    return journal_folder(root).exists()


def recover(root: Path) -> Recovery | None:
    """Roll an interrupted transaction forward or back; the caller holds the workspace lock."""
    folder = journal_folder(root)
    if not folder.exists():
        return None
    steps = _read_intent(folder)
    if not (folder / COMMITTED).exists():
        remove_journal(root, steps)
        return Recovery("back", len(steps))
    states = [_state(root, step) for step in steps]
    done = {index for index, state in enumerate(states) if state == "done"}
    if "conflict" not in states:
        try:
            apply_all(root, steps, done)
            return Recovery("forward", len(steps))
        except ConflictError:
            return Recovery("back", len(steps))
    if all(_canundo(root, steps[index]) for index in done):
        for index in sorted(done, reverse=True):
            undo(root, steps[index])
        remove_journal(root, steps)
        return Recovery("back", len(steps))
    return _keep_aside(root, steps, states)


def _state(root: Path, step: Step) -> str:
    """done, pending (can be applied) or conflict (neither: edited since, or a temp lost)."""
    target_sha = current_sha(root / step.path)
    if target_sha == step.new:
        return "done"
    if target_sha == step.old and (step.new is None or current_sha(root / step.temp) == step.new):
        return "pending"
    return "conflict"


def _canundo(root: Path, step: Step) -> bool:
    return step.old is None or current_sha(root / step.temp) == step.old


def _keep_aside(root: Path, steps: Sequence[Step], states: Sequence[str]) -> Recovery:
    aside = root / STATE_DIR / f"{JOURNAL}-failed-{time.strftime('%Y%m%d-%H%M%S')}"
    journal_folder(root).rename(aside)
    files = value_list(
        step.path for step, state in zip(steps, states, strict=True) if state != "done"
    )
    raise CrmError(
        _(
            "an interrupted write can be neither completed nor undone, because files were "
            "changed since: {files}; what they held is kept in {folder}"
        ).format(files=files, folder=aside.relative_to(root).as_posix())
    )


def _read_intent(folder: Path) -> list[Step]:
    steps: list[Step] = []
    try:
        lines = (folder / INTENT).read_text(encoding="utf-8").splitlines(keepends=True)
    except FileNotFoundError:
        return steps
    for line in lines:
        if not line.endswith("\n"):
            break  # cut short by the kill, before the commit: its temp file was not written
        steps.append(Step(**json.loads(line)))
    return steps
