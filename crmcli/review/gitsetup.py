"""`crm git setup`: plain `git diff`, `git log -p` and `git merge` understand record files.

Git learns two drivers, both configured in the repository's own config (`.git/config`, never
committed, since it names this machine's `crm`) and attached to record files by the
workspace's `.gitattributes` (committed, so every clone can run `crm git setup` and get them):

- a textconv diff driver per project (`diff=crm-opportunities`): git turns each version of a
  record file into its semantic view — fields by label, values formatted by type and locale,
  computed values — and diffs those lines. Textconv gets a temporary file whose name does not
  tell the project, hence one driver per project. Other files keep git's normal diff.
- a merge driver (`merge=crm`) that merges two branches' edits of a record field by field
  (see `merge.py`).
"""

from __future__ import annotations

import os
import re
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path

from crmcli.core.layout import DASHBOARDS_DIR, PROJECT_FILE
from crmcli.core.loader import Loader
from crmcli.core.model import Record
from crmcli.core.sources import DiskSource
from crmcli.core.yamlio import YamlReadError, decode_text, parse
from crmcli.editing.atomic import sha256, write_atomically
from crmcli.engine.reader import identify_reader
from crmcli.errors import CrmError
from crmcli.git.run import git
from crmcli.i18n import _
from crmcli.review.sides import Side

ATTRIBUTES_FILE = ".gitattributes"
BEGIN = "# >>> crm git setup: semantic diffs and field-by-field merges of record files"
END = "# <<< crm git setup"
MERGE_DRIVER = "crm"
_SAFE_KEY = re.compile(r"^[A-Za-z0-9._-]+$")


@dataclass(slots=True)
class Setup:
    attributes: Path
    config: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # projects whose folder name git cannot match


def crm_command() -> str:
    """How git should run this crm: the interpreter that runs us, so no PATH is needed."""
    return f"{shlex.quote(sys.executable)} -m crmcli"


def setup(root: Path, command: str | None = None) -> Setup:
    top = git(root, "rev-parse", "--show-toplevel", check=False).strip()
    if not top:
        raise CrmError(
            _("{path} is not inside a git repository; run git init first").format(path=root)
        )
    workspace = Loader(root).load(lazy=True)
    command = command or crm_command()
    # git runs drivers from the top of the work tree: name the workspace relative to it
    where = shlex.quote(Path(os.path.relpath(root.resolve(), Path(top).resolve())).as_posix())
    result = Setup(root / ATTRIBUTES_FILE)
    lines = [BEGIN]
    for key in workspace.projects:
        if not _SAFE_KEY.match(key):
            result.skipped.append(key)
            continue
        lines.append(f"{key}/*.yaml diff=crm-{key} merge={MERGE_DRIVER}")
        result.config.append(
            (f"diff.crm-{key}.textconv", f"{command} -C {where} git textconv {key}")
        )
    lines.append(f"*/{PROJECT_FILE} !diff !merge")
    lines.append(f"{DASHBOARDS_DIR}/*.yaml !diff !merge")
    lines.append(END)
    result.config.append((f"merge.{MERGE_DRIVER}.name", "crm: field-by-field merge of records"))
    result.config.append(
        (
            f"merge.{MERGE_DRIVER}.driver",
            f"{command} -C {where} git merge-driver %O %A %B %P %L",
        )
    )
    _write_attributes(result.attributes, lines)
    for key, value in result.config:
        git(root, "config", "--local", key, value)
    return result


def _write_attributes(path: Path, block: list[str]) -> None:
    """Put our block into .gitattributes, replacing an earlier one, keeping every other line."""
    try:
        original = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        original = None
    kept, inside = [], False
    for line in (original or "").splitlines():
        if line == BEGIN:
            inside = True
        elif line == END and inside:
            inside = False
        elif not inside:
            kept.append(line)
    while kept and not kept[-1].strip():
        kept.pop()
    text = "\n".join([*kept, *([""] if kept else []), *block]) + "\n"
    if text != original:
        write_atomically(path, text, sha256(original.encode()) if original is not None else None)


# the textconv view


def semantic_view(root: Path, project_key: str, raw: bytes) -> str:
    """A record file as lines of `label: value` for git to diff; the file as it is when it is
    no record this workspace can read (git then shows a plain diff)."""
    try:
        text = decode_text(raw)
        data = parse(text).data
    except YamlReadError:
        return raw.decode("utf-8", "replace")
    side = Side(root, DiskSource(root))
    project = side.workspace.projects.get(project_key)
    if project is None or not isinstance(data, dict):
        return text
    record = Record(project.key, "", "", data)
    side.workspace.sealing.open_fields(project.key, data, record.sealed)  # with a key: values
    side.engine.compute_record(project, record)
    reader = identify_reader(side.workspace, side.engine)
    lines = [project.record_label(record)]
    keys = [*project.fields, *(str(k) for k in data if k not in project.fields)]
    for key in keys:
        if key == "history" or not reader.may_see(project.key, key):
            continue
        value = record.computed[key] if key in record.computed else data.get(key)
        shown = side.presenter.value(project, key, value)
        if key in record.sealed and key not in data:
            shown = _("(encrypted)")
        if not shown:
            continue
        definition = project.fields.get(key)
        label = definition.label if definition else key
        if definition is not None and definition.computed:
            label += " " + _("(computed)")
        lines.append(f"{label}: {shown}")
    history = data.get("history")
    for entry in history if isinstance(history, list) else []:
        lines.append(_("history: {entry}").format(entry=side.presenter.history_entry(entry)))
    return "\n".join(lines) + "\n"
