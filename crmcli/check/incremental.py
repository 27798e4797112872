"""`crm check` after a few hand edits: the last whole check brought up to date from the
changed record files alone, byte for byte what a check from the files would say.

The index keeps what each step of the last check found (`parts`: the loader's problems, then
each check's, in `CHECKS` order). When only record files changed — the configuration,
schemas, automations, dashboards, documents and tool are as they were (the fingerprint), the
day is the same, secrets are not enabled and few files changed — each step's part is brought
up to date instead of being found again:

- the loader's: the problems of the changed and removed files are dropped, the changed files
  are parsed again;
- the record rules' (`check_records`): the changed records are checked again and, when the
  set of records changed (a file added, removed, or now readable or not), so are those that
  had issues (their hints name other records) and those whose references name the records
  that came or went (the index's reverse references);
- the computed fields' (`check_computed`, `check_deal_probabilities`): exactly the records
  linked to the changed ones (`recompute.linked_in_index`) are computed again, backlinks
  read from the reverse references; every other record keeps its stored failures, and each
  field's report is written again from them all;
- every other check reads the configuration only, so its part is what it was.

The 100,000 unchanged records are never read: a record is taken from its row when a
recomputed one reads it. Anything else — a project kept `depends_on` while records came or
went (no reverse reference says who names them), a changed file that is no regular file, too
many changes — goes the whole way (`check_workspace`).
"""

from __future__ import annotations

import os
import sqlite3
import stat
from collections import defaultdict
from collections.abc import Callable
from datetime import date

from crmcli.check.workspace import (
    CHECKS,
    CheckResult,
    check_computed,
    check_deal_probabilities,
    check_record,
    check_records,
    finished,
)
from crmcli.core.collector import collector_paused
from crmcli.core.lazy_records import date_fields, read_dates
from crmcli.core.loader import Loader
from crmcli.core.model import Project, Record, Workspace
from crmcli.core.problems import ProblemLog
from crmcli.engine import deals
from crmcli.engine.check_context import CheckContext
from crmcli.engine.compute import Engine, Failed
from crmcli.engine.plans import Failures
from crmcli.engine.types import FieldKey
from crmcli.errors import Problem
from crmcli.fields.context import FieldContext
from crmcli.fields.record import RecordChecker
from crmcli.fields.references import reference_ids
from crmcli.index.changes import FileChanges, holding, save_changes
from crmcli.index.columns import REBUILD_AFTER
from crmcli.index.freshness import watched_state
from crmcli.index.recompute import linked_in_index
from crmcli.index.records import IndexedRecords, Reuse
from crmcli.index.session import Index
from crmcli.index.store import INDEX_FAULTS, IndexStore

_FEW_FILES = 200  # changed files always rechecked this way…
_SHARE = 0.02  # …or up to this share of the record files
_MAX_LINKED = 5_000  # records computed again; past this, the whole way is as fast


def check_changes(index: Index, today: date) -> CheckResult | None:
    """The last check brought up to date with the record files changed since, or None when
    it cannot be (the caller checks the whole workspace)."""
    try:
        stored = _stored_check(index, today)
        if stored is None:
            return None
        return _Recheck(index, today, *stored).run()
    except INDEX_FAULTS:
        index.fault()
        return None


def _stored_check(
    index: Index, today: date
) -> tuple[FileChanges, list[list[Problem]], dict[FieldKey, dict[str, Failed]]] | None:
    """What the last check kept, when it may be brought up to date."""
    changes, store = index.changes, index.store
    if changes is None or index.secrets or index.failed or not index.same_configuration:
        return None
    files = index.scan.files
    if len(changes.all) > max(_FEW_FILES, _SHARE * len(files)) or store.meta("today") != today:
        return None
    parts, failures = store.meta("check_parts"), store.meta("failures")
    if parts is None or failures is None or len(parts) != len(CHECKS) + 1:
        return None
    if store.meta("checked_state") != store.meta("state"):
        return None
    watched = store.meta("watched_paths") or ()
    if store.meta("watched") != watched_state(index.root, watched):
        return None
    if not all(_regular(index.root / path) for path in changes.changed):
        return None
    return changes, parts, failures


def _regular(path: os.PathLike[str]) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _unusable() -> Workspace:
    """A row the index cannot give back while rechecking: the whole way instead."""
    raise sqlite3.DatabaseError("the index failed while rechecking")


class _Recheck:
    def __init__(
        self,
        index: Index,
        today: date,
        changes: FileChanges,
        parts: list[list[Problem]],
        failures: dict[FieldKey, dict[str, Failed]],
    ) -> None:
        self.index = index
        self.store = index.store
        self.today = today
        self.changes = changes
        self.parts = parts
        self.stored_failures = failures
        self.state: str = self.store.meta("state")  # of the last check's save
        self.loader = Loader(index.root)
        self.workspace = self.loader.load(lazy=True)  # configuration and schemas only
        self.log: ProblemLog = self.loader.log
        self.reuse = Reuse(index.root, {}, index.scan.files, index.scan.seen_ns)
        self.changed: dict[str, Record] = {}  # readable changed records, by path
        self.left_out = set(self.store.meta("left_out") or ())
        self.dirty: dict[str, list[Record]] = {}  # records computed again, by project
        self.rules: set[str] = set()  # record files whose rules are checked again
        self.came: set[str] = set()  # readable records now, not at the last save
        self.went: set[str] = set()  # readable at the last save, not now

    def run(self) -> CheckResult | None:
        if not self._records_served():
            return None
        self.log.problems.clear()  # the loader's part is the stored one, brought up to date
        self._read_changes()
        touched = self.changes.all
        new_parts = [[p for p in self.parts[0] if p.path not in touched] + self.log.problems]
        linked = self._linked()
        if linked is None or not self._rechecked_rules_known():
            return None
        engine = _IndexedEngine(self.workspace, self.log, self.today, self.store, self.changed)
        context = CheckContext(self.workspace, self.log, engine)
        for check, part in zip(CHECKS, self.parts[1:], strict=True):
            before = len(self.log.problems)
            if check is check_records:
                self._check_rules(context, part)
            elif check is check_computed:
                engine.run_over(self.dirty, self.stored_failures, linked | touched)
            elif check is check_deal_probabilities:
                self.log.problems.extend(p for p in part if p.path not in linked | touched)
                deals.check_probabilities(engine, self.log, self.dirty)
            else:  # reads the configuration only, which is as it was
                self.log.problems.extend(part)
            new_parts.append(self.log.problems[before:])
        problems = finished([p for part in new_parts for p in part])
        self.workspace.problems = problems
        self.workspace.left_out = self.left_out
        recomputed = {r.path: r for records in self.dirty.values() for r in records}
        saved = save_changes(
            self.index,
            self.workspace,
            {key: len(project.records) for key, project in self.workspace.projects.items()},
            self.changes,
            self.reuse.read,
            recomputed,
            context.record_issues,
            engine.failures,
            problems,
            new_parts,
            self.state,
        )
        for project in self.workspace.projects.values():  # what is read after comes from it
            if isinstance(project.records, IndexedRecords):
                project.records.served_state = saved
        return CheckResult(self.workspace, engine, problems)

    def _records_served(self) -> bool:
        """Each project's records from the index, read when asked for; False when a
        project's columns would have to be built again for the changes."""
        counts = self.store.meta("counts") or {}
        overlays = self.store.meta("columns") or {}
        touched: dict[str, int] = defaultdict(int)
        for path in self.changes.all:
            touched[path.partition("/")[0]] += 1
        for key, project in self.workspace.projects.items():
            overlay = overlays.get(key)
            if overlay is not None and touched[key]:
                limit = max(50, REBUILD_AFTER * counts.get(key, 0))
                if len(overlay) + touched[key] > limit:
                    return False
            project.records = _UpdatedRecords(
                self.store, key, _unusable, counts.get(key, 0), overlay, self.state
            )
        return all(path.partition("/")[0] in self.workspace.projects for path in touched)

    def _read_changes(self) -> None:
        """Parse the changed files (their problems go to the log), drop the removed ones, and
        note which readable records came and went."""
        projects, changes = self.workspace.projects, self.changes
        was_left_out = set(self.left_out)
        self.left_out -= changes.all
        for path in sorted(changes.changed):
            project = projects[path.partition("/")[0]]
            record = self.reuse.read_record(self.loader, project.key, path)
            if record is None:
                project.records.pop(path.rpartition("/")[2][:-5], None)
                continue
            dates = date_fields(project)
            if dates:
                read_dates(record.data, dates)
            project.records[record.id] = record
            self.changed[path] = record
        for path in changes.removed:
            projects[path.partition("/")[0]].records.pop(path.rpartition("/")[2][:-5], None)
        self.left_out |= self.loader.log.left_out
        known = {p for p in changes.all if p not in changes.added and p not in was_left_out}
        self.came = {p for p in self.changed if p not in known}
        self.went = {p for p in known if p not in self.changed}
        for key, project in projects.items():
            records = project.records
            if isinstance(records, _UpdatedRecords):
                records.count += sum(p.startswith(key + "/") for p in self.came)
                records.count -= sum(p.startswith(key + "/") for p in self.went)

    def _linked(self) -> set[str] | None:
        """The record files whose computed values are computed again: the changed ones and
        every record linked to them; the readable ones sorted into `dirty`."""
        names = {path: _names(self.workspace, record) for path, record in self.changed.items()}
        limit = max(_MAX_LINKED, int(_SHARE * len(self.index.scan.files)))
        linked = linked_in_index(self.store, set(self.changes.all), names, limit)
        if linked is None:
            return None
        for path in sorted(linked):
            project_key, _slash, name = path.partition("/")
            project = self.workspace.projects.get(project_key)
            record = project.records.get(name[:-5]) if project is not None else None
            if record is not None:
                self.dirty.setdefault(project_key, []).append(record)
        return linked

    def _rechecked_rules_known(self) -> bool:
        """Which records the rules check again (`rules`); False when that cannot be
        known from the index (records came or went, and a project that keeps depends_on
        has no columns to say which of its records name others)."""
        came, went = self.came, self.went
        self.rules = set(self.changed)
        if not came and not went:
            return True
        overlays = self.store.meta("columns") or {}
        for project in self.workspace.projects.values():
            for definition in project.fields.values():
                if definition.type != "dependencies":
                    continue
                if project.key not in overlays:  # no columns say who depends on what
                    return False
                overlay = overlays[project.key]
                self.rules.update(holding(self.store, project.key, definition.key, overlay))
        for path in came | went:
            project_key, _slash, name = path.partition("/")
            self.rules.update(s for s, _field in self.store.referring(project_key, name[:-5]))
        self.rules.update(p.path for p in self.parts[1 + CHECKS.index(check_records)])
        return True

    def _check_rules(self, context: CheckContext, part: list[Problem]) -> None:
        """The stored issues of the records not checked again, then those checked again."""
        gone = self.rules | self.changes.all
        self.log.problems.extend(p for p in part if p.path not in gone)
        checkers: dict[str, RecordChecker] = {}
        for path in sorted(self.rules):
            project_key, _slash, name = path.partition("/")
            project = self.workspace.projects.get(project_key)
            record = project.records.get(name[:-5]) if project is not None else None
            if project is None or record is None:
                continue
            if project_key not in checkers:
                checkers[project_key] = RecordChecker(FieldContext(self.workspace, project))
            check_record(context, checkers[project_key], record)


def _names(workspace: Workspace, record: Record) -> list[str]:
    """The record files a record's references name now."""
    project = workspace.projects[record.project]
    return [
        f"{definition.target_project}/{target}.yaml"
        for definition in project.fields.values()
        if definition.type == "reference" and definition.target_project
        for target in reference_ids(record.data.get(definition.key))
    ]


class _UpdatedRecords(IndexedRecords):
    """A project's records from the index, the changed ones as they are now; how many there
    are is known from the last save's count and the changes, without listing them."""

    def __init__(
        self,
        store: IndexStore,
        project_key: str,
        on_fault: Callable[[], Workspace],
        count: int,
        overlay: frozenset[str] | None,
        state: str,
    ) -> None:
        super().__init__(store, project_key, on_fault, count, overlay, state)
        self.count = count

    def __len__(self) -> int:
        return self.count


class _StoredBacklinks(dict[str, list[str]]):
    """The backlinks of one reference field, each target's read from the index's reverse
    references when first asked for (the changed records as they are now), not from every
    record of the source project."""

    def __init__(
        self, store: IndexStore, source: Project, field_key: str, changed: dict[str, Record]
    ) -> None:
        super().__init__()
        self._store = store
        self._source = source
        self._field = field_key
        self._target = source.fields[field_key].target_project or ""
        self._changed = changed

    def get(self, target_id: str, default: object = None) -> list[str]:
        if target_id not in self:
            self[target_id] = self._read(target_id)
        return self[target_id]

    def _read(self, target_id: str) -> list[str]:
        prefix = self._source.key + "/"
        sources = {
            path
            for path, field in self._store.referring(self._target, target_id)
            if field == self._field and path.startswith(prefix) and path not in self._changed
        }
        sources.update(path for path in self._changed if path.startswith(prefix))
        found: list[str] = []
        for path in sorted(sources):
            record = self._source.records.get(path[len(prefix) : -5])
            if record is not None:
                found.extend(
                    record.id
                    for target in reference_ids(record.data.get(self._field))
                    if target == target_id
                )
        return found


class _IndexedEngine(Engine):
    """The engine of an incremental check: computes the linked records only, backlinks from
    the index."""

    def __init__(
        self,
        workspace: Workspace,
        log: ProblemLog,
        today: date,
        store: IndexStore,
        changed: dict[str, Record],
    ) -> None:
        super().__init__(workspace, log, today)
        self._store = store
        self._changed = changed

    def backlinks(self, source: Project, field_key: str) -> dict[str, list[str]]:
        key = (source.key, field_key)
        if key not in self._backlinks:
            self._backlinks[key] = _StoredBacklinks(self._store, source, field_key, self._changed)
        return self._backlinks[key]

    def run_over(
        self,
        dirty: dict[str, list[Record]],
        stored: dict[FieldKey, dict[str, Failed]],
        recomputed: set[str],
    ) -> None:
        """Compute every computed field of the `dirty` records, in dependency order; the
        other records keep their `stored` failures, and each field's report is written
        again from them all, in the records' order."""
        with collector_paused():
            for key in self.planned(self.log):
                plan = self._plans[key]
                if plan.value is None:
                    continue
                failures = Failures(self.log, plan)
                project, kept = plan.project, stored.get(key, {})
                computed = {r.path: r for r in dirty.get(project.key, ())}
                for path in sorted(computed.keys() | (kept.keys() - recomputed)):
                    record = computed.get(path)
                    if record is not None:
                        record.computed[plan.field.key] = plan.value(record, failures.add)
                        continue
                    failed = project.records[path.rpartition("/")[2][:-5]]
                    for code, message in kept[path]:
                        failures.note(code, message, failed)
                self.failures[key] = failures.by_record()
                failures.report()
