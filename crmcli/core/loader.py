"""Files → Workspace model. The only module that reads the workspace from disk.

The loader is lenient: it builds as much of the model as it can and records every problem it
meets (unreadable YAML, a record that is not a mapping, a folder without a schema) so that one
run reports them all. Configuration values are checked as they are read (core/config.py);
the JSON Schemas in `crmcli/schemas/`, checked by `crm check`, describe the files' whole structure.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from crmcli.core.collector import collector_paused
from crmcli.core.config import build_project, workspace_config
from crmcli.core.hidden_values import open_hidden_values, report_sealing, workspace_sealing
from crmcli.core.layout import (
    AUTOMATIONS_FILE,
    DASHBOARDS_DIR,
    PROJECT_FILE,
    WORKSPACE_FILE,
    chosen_folder,
    nearest_workspace,
)
from crmcli.core.lazy_records import LazyRecords, date_fields, read_dates
from crmcli.core.model import Project, Record, Workspace, WorkspaceConfig
from crmcli.core.parse_pool import Check, FilesAhead, Parsed, ReadAhead, parse_ahead
from crmcli.core.problems import ProblemLog
from crmcli.core.sources import DiskSource, FileSource
from crmcli.core.state_dir import STATE_DIR, check_state_folder
from crmcli.core.text_forms import nfc
from crmcli.core.yamlio import (
    MAX_CONFIG_BYTES,
    MAX_RECORD_BYTES,
    YamlDocument,
    YamlReadError,
    decode_text,
    key_positions,
    parse,
)
from crmcli.errors import CrmError, Severity, WorkspaceNotFoundError
from crmcli.i18n import _, counted, ngettext
from crmcli.secrets.cipher import is_sealed
from crmcli.secrets.sealing import Sealing


@dataclass(slots=True)
class ConfigFile:
    """A configuration file read with the position of every key (they are few and small)."""

    path: str
    data: Any
    positions: dict


def find_root(explicit: str | os.PathLike[str] | None = None, start: Path | None = None) -> Path:
    """-C PATH, else $CRM_WORKSPACE, else the nearest crm.yaml upward from `start`."""
    root = chosen_folder(explicit)
    if root is not None:
        if not (root / WORKSPACE_FILE).is_file():
            raise WorkspaceNotFoundError(
                _("{path} is not a crm workspace (no {file} there)").format(
                    path=root, file=WORKSPACE_FILE
                )
            )
        return root
    here = (start or Path.cwd()).resolve()
    found = nearest_workspace(here)
    if found is None:
        raise WorkspaceNotFoundError(
            _("no crm workspace here: no {file} in {path} or any folder above it").format(
                file=WORKSPACE_FILE, path=here
            )
            + " "
            + _("(use -C PATH or set CRM_WORKSPACE)")
        )
    return found


class RecordReuse(Protocol):
    """Records read by an earlier run (the index, `crmcli.index`): a file that did not change
    is given back as it was read (its dates typed), with the problems reading it found;
    others are parsed."""

    def read_record(self, loader: Loader, project_key: str, relative: str) -> Record | None: ...

    def reusable(self, relative: str) -> bool: ...

    @property
    def dates_typed(self) -> bool:
        """Whether records are given back with their dates typed, or as parsed."""
        ...


# The rules of one record that a parse worker applies to each record it read, given by `crm
# check` (above core) for a workspace and project: what they found comes back with the
# record (`checked_ahead`), None when nothing.
CheckAhead = Callable[[Workspace, Project], Callable[[Record], Any]]
UNCHECKED = "unchecked"  # a worker's answer for a record whose hidden values are opened here


class Loader:
    def __init__(
        self,
        root: Path,
        source: FileSource | None = None,
        reuse: RecordReuse | None = None,
        check_ahead: CheckAhead | None = None,
    ) -> None:
        self.root = root
        self.source: FileSource = source or DiskSource(root)
        self.reuse = reuse
        self.lazy = False
        self.log = ProblemLog(root, self._text_of)
        self.config_files: dict[str, ConfigFile] = {}
        # record files parsed ahead, in worker processes
        self._parsed: FilesAhead | dict[str, Parsed] = {}
        self.sealing = Sealing()
        self.check_ahead = check_ahead
        self.checked_ahead: dict[str, Any] = {}  # by record file: what a worker's check found
        self._workspace: Workspace | None = None  # the one being read

    def load(self, only_projects: set[str] | None = None, lazy: bool = False) -> Workspace:
        """Read the workspace. lazy: records are read only when asked for (editing commands)."""
        if lazy:
            return self._load(only_projects, lazy)
        with collector_paused():  # every record is read
            return self._load(only_projects, lazy)

    def _load(self, only_projects: set[str] | None, lazy: bool) -> Workspace:
        self.lazy = lazy
        config = self._load_config()
        self._check_state_folder()
        self.sealing = workspace_sealing(self.source, config)
        workspace = Workspace(root=self.root, config=config, sealing=self.sealing)
        self._workspace = workspace
        for key in self._project_folders():
            if only_projects is None or key in only_projects:
                project = self._load_project(key)
                if project is not None:
                    workspace.projects[key] = project
                else:
                    workspace.unreadable_projects.add(key)
        self._load_extra_configs()
        workspace.config_files = self.config_files
        workspace.problems = self.log.problems
        workspace.left_out = self.log.left_out
        if not lazy:
            report_sealing(self.sealing, self.log)
        return workspace

    def _check_state_folder(self) -> None:
        if isinstance(self.source, DiskSource):
            try:
                check_state_folder(self.root)
            except CrmError as error:
                self.log.add_at(STATE_DIR, 1, 1, "special-file", error.message)

    # configuration files

    def read_config(self, relative: str) -> ConfigFile | None:
        read = self._read_yaml(relative, MAX_CONFIG_BYTES)
        if read is None:
            return None
        text, document = read
        positions = key_positions(text)
        self.log.remember_positions(relative, positions)
        config = ConfigFile(relative, document.data, positions)
        self.config_files[relative] = config
        return config

    def _load_config(self) -> WorkspaceConfig:
        file = self.read_config(WORKSPACE_FILE)
        data = file.data if file and isinstance(file.data, dict) else {}
        if file and not isinstance(file.data, dict):
            self._not_a_mapping(WORKSPACE_FILE, file.data)
        return workspace_config(data, self.log)

    def _load_extra_configs(self) -> None:
        if self.source.is_file(AUTOMATIONS_FILE):
            self.read_config(AUTOMATIONS_FILE)
        for name in self._yaml_files(DASHBOARDS_DIR):
            self.read_config(f"{DASHBOARDS_DIR}/{name}")

    def _yaml_files(self, folder: str) -> list[str]:
        """Names of the *.yaml files of a folder, sorted (record files and dashboards)."""
        return sorted(
            e.name
            for e in self.source.list_dir(folder)
            if not e.is_dir and e.name.endswith(".yaml")
        )

    def _text_of(self, relative: str) -> str:
        return nfc(decode_text(self.source.read_bytes(relative, MAX_CONFIG_BYTES)))

    # projects

    def _project_folders(self) -> list[str]:
        found = []
        for entry in sorted(self.source.list_dir(""), key=lambda e: e.name):
            if entry.special:
                self._report_special(entry.name, entry.special)
                continue
            if (
                not entry.is_dir
                or entry.name.startswith((".", "_"))
                or entry.name == DASHBOARDS_DIR
            ):
                continue
            if self.source.is_file(f"{entry.name}/{PROJECT_FILE}"):
                found.append(entry.name)
            else:
                self._report_folder_without_schema(entry.name)
        return found

    def _report_special(self, relative: str, reason: str) -> None:
        """A linked folder, a FIFO, a device or a socket: named, never read."""
        self.log.add_at(relative, 1, 1, "special-file", reason)
        if not relative.endswith("/" + PROJECT_FILE):
            self.log.left_out.add(relative)

    def _report_folder_without_schema(self, key: str) -> None:
        records = self._yaml_files(key)
        if records:
            self.log.add_at(
                f"{key}/{records[0]}",
                1,
                1,
                "missing-project-schema",
                ngettext(
                    "folder “{folder}” holds {count} record file but no {file}: "
                    "it is not part of any project (add {folder}/{file} to declare it)",
                    "folder “{folder}” holds {count} record files but no {file}: "
                    "they are not part of any project (add {folder}/{file} to declare it)",
                    len(records),
                ).format(folder=key, count=counted(len(records)), file=PROJECT_FILE),
            )

    def _load_project(self, key: str) -> Project | None:
        schema_path = f"{key}/{PROJECT_FILE}"
        file = self.read_config(schema_path)
        if file is None:
            return None
        if not isinstance(file.data, dict):
            self._not_a_mapping(schema_path, file.data)
            return None
        project = build_project(key, schema_path, file.data, file.positions, self.log)
        if self.lazy:
            project.records = LazyRecords(self, project)
        else:
            self._load_records(project)
        return project

    def _load_records(self, project: Project) -> None:
        entries = self.source.list_dir(project.key)
        prefix = project.key + "/"
        for entry in entries:
            if entry.special:
                self._report_special(prefix + entry.name, entry.special)
        names = sorted(
            e.name for e in entries if not (e.is_dir or e.special or e.name.startswith("_"))
        )
        dates = date_fields(project)
        yaml_names = [prefix + name for name in names if name.endswith(".yaml")]
        if self.reuse is not None:  # only the files the index cannot give back are parsed
            yaml_names = [n for n in yaml_names if not self.reuse.reusable(n)]
        prepare = partial(read_dates, fields=dates) if dates else None
        check = self._worker_check(project)
        ahead = parse_ahead(self.source, yaml_names, MAX_RECORD_BYTES, prepare, check)
        self._parsed = ahead
        try:
            self._read_records(project, names, dates)
        finally:
            ahead.close()
        if check is not None:
            self.checked_ahead.update(
                (path, checked) for path, checked in ahead.checked.items() if checked != UNCHECKED
            )

    def _read_records(self, project: Project, names: list[str], dates: Any) -> None:
        """The project's records from its folder's sorted file names, in that order."""
        prefix = project.key + "/"
        for name in names:
            if not name.endswith(".yaml"):
                if name.endswith(".yml"):
                    self.log.add_at(
                        prefix + name,
                        1,
                        1,
                        "wrong-extension",
                        _("record files end in .yaml; this file is ignored"),
                        Severity.WARNING,
                    )
                continue
            reuse = self.reuse
            typed = reuse is not None and reuse.dates_typed and reuse.reusable(prefix + name)
            by_worker = self.parsed_ahead(prefix + name) is not None
            record = self.read_record(project.key, prefix + name)
            if record is not None:
                # a worker typed them, unless a hidden value opened here gives a date's text
                if dates and not (typed or (by_worker and not record.sealed)):
                    read_dates(record.data, dates)
                project.records[record.id] = record

    def _worker_check(self, project: Project) -> Check | None:
        """What a parse worker checks of each record it read; not a record whose data this
        process changes after parsing (its hidden values are opened here)."""
        if self.check_ahead is None or self._workspace is None:
            return None
        check = self.check_ahead(self._workspace, project)
        hidden = [key for key in project.fields if self.sealing.covers(project.key, key)]

        def worker_check(relative: str, data: dict[Any, Any]) -> Any:
            if any(is_sealed(data.get(key)) for key in hidden):
                return UNCHECKED
            return check(_record(project.key, relative, data))

        return worker_check

    def parsed_ahead(self, relative: str) -> ReadAhead | None:
        """What a worker read of this file, not yet taken: its document and digest."""
        ready = self._parsed.get(relative)
        return ready if isinstance(ready, ReadAhead) else None

    def read_record(self, project_key: str, relative: str) -> Record | None:
        if self.reuse is not None:
            record = self.reuse.read_record(self, project_key, relative)
        else:
            record = self.parse_record(project_key, relative)
        if record is not None and self.sealing.fields:
            open_hidden_values(record, self.sealing, self.log)  # the one place they open
        return record

    def parse_record(self, project_key: str, relative: str) -> Record | None:
        """One record file parsed now; its problems go to the log, and a file that cannot be
        read to `left_out`."""
        read = self._read_yaml(relative, MAX_RECORD_BYTES)
        if read is None:
            self.log.left_out.add(relative)
            return None
        document = read[1]
        if not isinstance(document.data, dict):
            self._not_a_mapping(relative, document.data)
            self.log.left_out.add(relative)
            return None
        return _record(project_key, relative, document.data)

    def _read_yaml(self, relative: str, max_bytes: int) -> tuple[str, YamlDocument] | None:
        """The text and document of one file; a file that cannot be read or parsed is a
        problem at its place (and None), duplicate keys are reported here for every file."""
        try:
            ready = self._parsed.pop(relative, None)
            if isinstance(ready, Exception):
                raise ready
            if ready is None:
                text = nfc(decode_text(self.source.read_bytes(relative, max_bytes)))
                document = parse(text)
            else:  # parsed ahead; positions read the text again if a problem needs them
                text, document = "", ready.document
        except YamlReadError as error:
            self.log.add_at(relative, error.line, error.column, error.code, error.message)
            return None
        except OSError as error:
            self.log.add_at(relative, 0, 0, "unreadable", str(error.strerror or error))
            return None
        self._report_duplicates(relative, document)
        return text, document

    def _report_duplicates(self, relative: str, document: YamlDocument) -> None:
        for duplicate in document.duplicates:
            self.log.add_at(
                relative,
                duplicate.line,
                duplicate.column,
                "duplicate-key",
                _(
                    "“{key}” appears twice in the same mapping; only the last value would count"
                ).format(key=duplicate.key),
            )

    def _not_a_mapping(self, relative: str, data: Any) -> None:
        if data is None:
            message = _("the file is empty; it should hold a mapping of fields (name: …)")
            code = "empty-file"
        else:
            message = _("the file holds a {kind}, not a mapping of fields (name: …)").format(
                kind=_kind(data)
            )
            code = "not-a-mapping"
        self.log.add_at(relative, 1, 1, code, message)


def _record(project_key: str, relative: str, data: dict[Any, Any]) -> Record:
    return Record(project_key, relative.rpartition("/")[2][:-5], relative, data)


def load_workspace(root: Path, only_projects: set[str] | None = None) -> Workspace:
    return Loader(root).load(only_projects)


# building the model from lenient data


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return _("list")
    if isinstance(value, dict):
        return _("mapping")
    if isinstance(value, bool):
        return _("yes/no value")
    if isinstance(value, int | float):
        return _("number")
    return _("text")
