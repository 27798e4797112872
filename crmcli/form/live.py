"""The workspace a form server answers from: read once, kept up to date by a watcher thread,
never read again per request.

Every `RESCAN_SECONDS` the watcher takes the index's freshness scan (`index.freshness.scan`)
of the served projects: the stat of each of their record files, and one fingerprint of the
configuration. Requests keep answering from the current reading meanwhile. When the
fingerprint changed (crm.yaml, a schema, the automations), a new reading is made in the
watcher and swapped in; when only record files changed (a hand edit in place, a `git pull`),
just those records are read again, with the duplicates they may be and the members' workload.
The server's own records are taken into the scan as they are written, so they are not read
again. Projects the server does not serve are read on demand, as `crm add` reads them."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from crmcli.automations import workload
from crmcli.automations.runs import warm_up
from crmcli.automations.standing import Standing
from crmcli.core.lazy_records import OnDemandRecords
from crmcli.core.lookup import require_project
from crmcli.duplicates.finder import DuplicateFinder
from crmcli.duplicates.prevention import finder_for
from crmcli.editing.editor import Editor
from crmcli.engine.reader import workspace_now
from crmcli.errors import CrmError
from crmcli.fields.context import FieldContext
from crmcli.form.schema import Form, form_of
from crmcli.i18n import _
from crmcli.index.freshness import Scan, scan, stat_of

RESCAN_SECONDS = 2.0  # a full stat of 20,000 record files costs ~0.2 s of a core


@dataclass(slots=True)
class Opened:
    """One reading of the workspace: the editor that writes, each served form, the contacts
    that duplicates are looked for among, what automations keep between submissions."""

    editor: Editor
    forms: dict[str, Form]
    contacts: dict[str, DuplicateFinder]
    standing: Standing

    def context(self, project_key: str) -> FieldContext:
        workspace = self.editor.workspace
        project = workspace.projects[project_key]
        return FieldContext(workspace, project, workspace_now(workspace).date())

    def still_there(self, ref: str) -> bool:
        """Whether PROJECT/ID still exists (the contacts keep a record removed by hand)."""
        project_key, _slash, record_id = ref.partition("/")
        project = self.editor.workspace.projects.get(project_key)
        return project is not None and record_id in project.records

    def reread(self, paths: Iterable[str]) -> None:
        """Read again record files that changed outside the server."""
        workspace = self.editor.workspace
        for path in paths:
            project_key, _slash, name = path.partition("/")
            project = workspace.projects.get(project_key)
            if project is None:
                continue
            record_id = name.removesuffix(".yaml")
            if isinstance(project.records, OnDemandRecords):  # the editor's: read on demand
                project.records.forget(record_id)
            record = project.records.get(record_id)
            if record is not None:
                if project_key in self.contacts:
                    self.contacts[project_key].add(record_id, record.data)
                workload.record_assignment(self.editor.root, project, record)
            self.standing.forget_loads(project_key)


class ServedWorkspace:
    def __init__(
        self,
        root: Path,
        projects: list[str],
        acting_as: str | None = None,
        rescan_seconds: float = RESCAN_SECONDS,
    ) -> None:
        self.root = root
        self.projects = projects
        self.acting_as = acting_as
        self.rescan_seconds = rescan_seconds
        self._lock = threading.Lock()  # held while a submission writes, or a reading changes
        self._opened: Opened | None = None
        self._seen = Scan(0)
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None

    def current(self) -> Opened:
        """The current reading (the first one is made when first asked for)."""
        opened = self._opened
        if opened is None:
            with self._lock:
                if self._opened is None:
                    self._seen = scan(self.root, self.projects)
                    self._opened = self._open()
                opened = self._opened
        return opened

    @contextmanager
    def writing(self) -> Iterator[Opened]:
        """The server's own write: the reading does not change under it."""
        opened = self.current()
        with self._lock:
            yield self._opened or opened

    def wrote(self, paths: Iterable[str]) -> None:
        """Take the server's own record files into the scan, so that they are not read again
        (called inside `writing()`)."""
        for path in paths:
            if path in self._seen.files or path.partition("/")[0] in self.projects:
                self._seen.files[path] = stat_of(self.root / path)

    # watching

    def watch(self) -> None:
        """Start the watcher thread (the server does, as it starts)."""
        self.current()
        self._stop.clear()
        self._watcher = threading.Thread(target=self._watch, name="crm-form-watch", daemon=True)
        self._watcher.start()

    def stop(self) -> None:
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join()
            self._watcher = None

    def _watch(self) -> None:
        while not self._stop.wait(self.rescan_seconds):
            self.refresh()

    def refresh(self) -> bool:
        """One rescan: what changed since the last is read again; False when nothing did."""
        self.current()
        found = scan(self.root, self.projects)
        if found.fingerprint != self._seen.fingerprint:
            opened = self._open()  # while requests are answered from the last reading
            with self._lock:
                self._opened, self._seen = opened, found
            return True
        with self._lock:
            seen = self._seen.files
            changed = [
                p for p in found.files.keys() | seen.keys() if found.files.get(p) != seen.get(p)
            ]
            if changed:
                assert self._opened is not None
                self._opened.reread(changed)
                self._seen = found
        return bool(changed)

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
        standing = Standing(self.root)  # warmed up: no visitor waits for the rules to compile
        warm_up(self.root, editor, standing, workspace_now(editor.workspace), forms)
        return Opened(editor, forms, contacts, standing)
