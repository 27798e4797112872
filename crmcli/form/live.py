"""The workspace a form server answers from: read once, and read again only when its files
changed (a hand edit, a `git pull`), never per request.

`signature` is the one cheap test of "changed": the modification times of crm.yaml,
automations.yaml, the project folders and their schemas. A record added, removed or replaced
(editors and git write a new file) changes its folder's time; the server's own records are
taken into the signature as they are written. The index of `.crm/` can replace this function."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from crmcli.core.config import WORKSPACE_FILE
from crmcli.core.loader import AUTOMATIONS_FILE, PROJECT_FILE
from crmcli.core.lookup import require_project
from crmcli.duplicates.finder import DuplicateFinder
from crmcli.duplicates.prevention import finder_for
from crmcli.editing.editor import Editor
from crmcli.engine.reader import workspace_now
from crmcli.errors import CrmError
from crmcli.fields.context import FieldContext
from crmcli.form.schema import Form, form_of
from crmcli.i18n import _

Signature = tuple[tuple[str, int], ...]


@dataclass(slots=True)
class Opened:
    """One reading of the workspace: the editor that writes, each served form, the contacts
    that duplicates are looked for among."""

    editor: Editor
    forms: dict[str, Form]
    contacts: dict[str, DuplicateFinder]

    def context(self, project_key: str) -> FieldContext:
        workspace = self.editor.workspace
        project = workspace.projects[project_key]
        return FieldContext(workspace, project, workspace_now(workspace).date())


def signature(root: Path, project_keys: Iterable[str]) -> Signature:
    paths = [".", WORKSPACE_FILE, AUTOMATIONS_FILE]
    for key in project_keys:
        paths += [key, f"{key}/{PROJECT_FILE}"]
    return tuple((path, _modified(root / path)) for path in paths)


def _modified(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


class ServedWorkspace:
    def __init__(self, root: Path, projects: list[str], acting_as: str | None = None) -> None:
        self.root = root
        self.projects = projects
        self.acting_as = acting_as
        self._lock = threading.Lock()
        self._opened: Opened | None = None
        self._signature: Signature = ()
        self._writing = False

    def current(self) -> Opened:
        """The workspace as it is now: the last reading unless a file changed since (while
        the server writes a record itself, the last reading: that change is its own)."""
        with self._lock:
            if self._opened is not None and (
                self._writing or self._signature_now() == self._signature
            ):
                return self._opened
            self._opened = self._open()
            self._signature = self._signature_now()
            return self._opened

    @contextmanager
    def writing(self) -> Iterator[Opened]:
        """The server's own write: known, so it does not make the next request read again."""
        opened = self.current()
        with self._lock:
            self._writing = True
        try:
            yield opened
        finally:
            with self._lock:
                self._writing = False
                self._signature = self._signature_now()

    def _signature_now(self) -> Signature:
        opened = self._opened
        keys = opened.editor.workspace.projects if opened else self.projects
        return signature(self.root, keys)

    def _open(self) -> Opened:
        editor = Editor(self.root, self.acting_as)
        forms, contacts = {}, {}
        for key in self.projects:
            project = require_project(editor.workspace, key)
            form = form_of(project)
            if len(form.fields) == 1:
                raise CrmError(
                    _(
                        "{project} asks nothing but the name on its form: mark fields with "
                        "form: true in {path}."
                    ).format(project=project.name, path=project.schema_path)
                )
            forms[project.key] = form
            contacts[project.key] = finder_for(editor.workspace, project, editor.actor)
        return Opened(editor, forms, contacts)
