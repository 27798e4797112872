"""`crm check`: the validations, each a small function, run in order over the model.

The core checks are here; automations and dashboards declare the checks of their own files
(`automations/checks.py`, `reports/checks.py`), and `check_workspace` runs them after the core
ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from crmcli.automations import checks as automations_checks
from crmcli.check import secrets as secrets_checks
from crmcli.check.aside import ChecksAside
from crmcli.core.config_schema import check_config_file
from crmcli.core.layout import WORKSPACE_FILE
from crmcli.core.loader import Loader
from crmcli.core.model import BUILTIN_FIELDS, DERIVED_NAMES, FieldDef, Project, Record, Workspace
from crmcli.core.problems import did_you_mean
from crmcli.duplicates.stored_keys import fill_checked_keys
from crmcli.engine import deals
from crmcli.engine.check_context import Check, CheckContext
from crmcli.engine.compute import Engine
from crmcli.errors import Problem, Severity
from crmcli.fields.contact import email_problem
from crmcli.fields.context import FieldContext
from crmcli.fields.record import NOTHING_AHEAD, CheckedAhead, RecordChecker
from crmcli.i18n import _
from crmcli.index.session import Index, workspace_today
from crmcli.reports import checks as reports_checks

_RESERVED_FIELD_NAMES = frozenset(DERIVED_NAMES) - {"probability"}


@dataclass(slots=True)
class CheckResult:
    workspace: Workspace
    engine: Engine
    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]


# configuration files against the JSON Schemas in crmcli/schemas/ (core/config_schema.py)


def check_config_schemas(context: CheckContext) -> None:
    for file in context.workspace.config_files.values():
        check_config_file(file, context.log)


# workspace configuration semantics


def check_workspace_config(context: CheckContext) -> None:
    config = context.workspace.config
    log = context.log
    for member in config.members.values():
        if member.role and member.role not in config.roles:
            log.add(
                WORKSPACE_FILE,
                ("members", member.id, "role"),
                "unknown-role",
                _(
                    "member “{member}” has the role “{role}”, which is not defined under roles{hint}"
                ).format(
                    member=member.id, role=member.role, hint=did_you_mean(member.role, config.roles)
                ),
            )
        if member.email and email_problem(member.email):
            log.add(
                WORKSPACE_FILE,
                ("members", member.id, "email"),
                "invalid-email",
                _("member “{member}” has an invalid e-mail address: {reason}").format(
                    member=member.id, reason=email_problem(member.email)
                ),
            )
    for role in config.roles.values():
        for kind in ("hidden", "read_only"):
            for index, target in enumerate(sorted(getattr(role, kind))):
                _check_field_path(context, ("roles", role.name, kind, index), target)


def _check_field_path(context: CheckContext, key_path: tuple[Any, ...], target: str) -> None:
    project_key, _dot, field_key = target.partition(".")
    project = context.workspace.projects.get(project_key)
    if project_key in context.workspace.unreadable_projects:
        return  # its schema's own problem says why
    if project is None:
        message = _("“{target}” names the project “{project}”, which does not exist{hint}").format(
            target=target,
            project=project_key,
            hint=did_you_mean(project_key, context.workspace.projects),
        )
    elif field_key not in project.fields:
        message = _("“{target}”: {project} has no field “{field}”{hint}").format(
            target=target,
            project=project.name,
            field=field_key,
            hint=did_you_mean(field_key, project.fields),
        )
    else:
        return
    context.log.add(WORKSPACE_FILE, key_path, "unknown-field", message)


# project schemas


def check_project_schemas(context: CheckContext) -> None:
    for project in context.workspace.projects.values():
        raw = context.workspace.config_files[project.schema_path].data
        for key in (raw.get("fields") or {}) if isinstance(raw.get("fields"), dict) else {}:
            if key in BUILTIN_FIELDS or key in _RESERVED_FIELD_NAMES:
                context.log.add(
                    project.schema_path,
                    ("fields", key),
                    "reserved-field",
                    _("“{field}” is a built-in name of every record; choose another key").format(
                        field=key
                    ),
                )
        for definition in project.custom_fields:
            _check_field_definition(context, project, definition)
        _check_duplicate_lists(context, project, raw)


def _check_field_definition(context: CheckContext, project: Project, definition: FieldDef) -> None:
    log = context.log
    if definition.type == "reference":
        target = definition.target_project
        if (
            target not in context.workspace.projects
            and target not in context.workspace.unreadable_projects
        ):
            log.add(
                project.schema_path,
                ("fields", definition.key, "project"),
                "unknown-project",
                _(
                    "field “{field}” refers to the project “{target}”, which does not exist{hint}"
                ).format(
                    field=definition.key,
                    target=target,
                    hint=did_you_mean(str(target), context.workspace.projects),
                ),
            )
    for index, list_name in enumerate(definition.required_in):
        if list_name not in project.lists:
            log.add(
                project.schema_path,
                ("fields", definition.key, "required_in", index),
                "unknown-list",
                _(
                    "field “{field}” is required in “{list}”, which is not a list of {project}{hint}"
                ).format(
                    field=definition.key,
                    list=list_name,
                    project=project.name,
                    hint=did_you_mean(list_name, project.lists),
                ),
            )


def _check_duplicate_lists(context: CheckContext, project: Project, raw: dict[str, Any]) -> None:
    seen: set[str] = set()
    for index, item in enumerate(raw.get("lists") or []):
        name = item.get("name") if isinstance(item, dict) else item
        if isinstance(name, str) and name in seen:
            context.log.add(
                project.schema_path,
                ("lists", index),
                "duplicate-list",
                _("the list “{list}” is declared twice").format(list=name),
            )
        seen.add(name)


# records


def check_records(context: CheckContext) -> None:
    workspace = context.workspace
    checked_ahead = context.checked_ahead  # what parse workers found of the records they read
    for project in workspace.projects.values():
        checker = RecordChecker(FieldContext(workspace, project))
        for record in project.records.values():
            known = context.known_issues.get(record.path)
            if known is not None:
                context.log.problems.extend(known)
                context.record_issues[record.path] = known
                continue
            ahead = None  # a record no worker read: every rule is applied here
            if record.path in checked_ahead:
                ahead = checked_ahead[record.path] or NOTHING_AHEAD
            check_record(context, checker, record, ahead)


def check_record(
    context: CheckContext,
    checker: RecordChecker,
    record: Record,
    ahead: CheckedAhead | None = None,
) -> None:
    """The rules of one record (those a parse worker applied already: `ahead`), its issues
    logged and kept for the index."""
    project = checker.project
    before = len(context.log.problems)
    for issue in checker.issues(record, ahead):
        field = issue.field if issue.field in project.fields else None
        context.log.add(
            record.path,
            issue.key_path,
            issue.code,
            issue.message,
            issue.severity,
            f"{project.key}.{field}" if field else None,
        )
    context.record_issues[record.path] = context.log.problems[before:]


def rules_ahead(workspace: Workspace, project: Project) -> Callable[[Record], CheckedAhead | None]:
    """What a parse worker checks of each record it read (`Loader.check_ahead`): the rules that
    need no other record; None when they found nothing, which costs nothing to send back."""
    checker = RecordChecker(FieldContext(workspace, project))

    def check(record: Record) -> CheckedAhead | None:
        found = checker.ahead(record)
        return found if found.values or found.record else None

    return check


# computed fields


def check_computed(context: CheckContext) -> None:
    context.engine.run()


def check_deal_probabilities(context: CheckContext) -> None:
    deals.check_probabilities(context.engine, context.log)


CORE_CHECKS: tuple[Check, ...] = (
    check_config_schemas,
    check_workspace_config,
    check_project_schemas,
    check_records,
    check_computed,
    check_deal_probabilities,
)

# Each consumer declares the checks of its own files; this layer, above them, runs them all.
CHECKS: tuple[Check, ...] = (
    CORE_CHECKS + reports_checks.CHECKS + automations_checks.CHECKS + secrets_checks.CHECKS
)


# The checks that read no computed value and no other check's findings: applied by a child
# while the fields are computed, on a large workspace (`check/aside.py`).
ASIDE_CHECKS: tuple[Check, ...] = (check_records, automations_checks.check_notifications)


def check_workspace(root: Path, today: date | None = None, cache: bool = True) -> CheckResult:
    """Load the workspace, run every check, compute every field; problems sorted by place.
    The index answers when nothing changed since it last checked, and brings its last answer
    up to date when only a few record files changed (`cache=False`: never)."""
    from crmcli.check.incremental import check_changes  # builds on this module's checks

    day = today or workspace_today(root)
    index = Index.open(root, cache)
    served = index.checked(day) if index else None
    if served is not None:
        return CheckResult(*served)
    updated = check_changes(index, day) if index else None
    if updated is not None:
        changed = index.changes.changed if index and index.changes else frozenset()
        if index is not None:
            fill_checked_keys(index, updated.workspace, only=changed)
        return updated
    loader = Loader(root, reuse=index.reuse() if index else None, check_ahead=rules_ahead)
    workspace = loader.load()
    context = CheckContext(workspace, loader.log, Engine(workspace, loader.log, day))
    context.checked_ahead = loader.checked_ahead
    if index is not None:
        context.engine.recompute = index.recompute(workspace, day)
        context.known_issues = index.known_issues(workspace, day)
    parts = [list(loader.log.problems)]  # what each step found: the loader's, each check's
    aside = ChecksAside(context, ASIDE_CHECKS)  # while the fields are computed here
    for check in CHECKS:
        before = len(loader.log.problems)
        if check not in aside.checks or not aside.started:
            check(context)
        parts.append(loader.log.problems[before:])
    if aside.started:
        for check, found in zip(aside.checks, aside.found(), strict=True):
            parts[1 + CHECKS.index(check)] = found
        loader.log.problems[:] = [problem for part in parts for problem in part]
    problems = finished(loader.log.problems)
    workspace.problems = problems
    if index is not None:

        def save() -> None:
            index.save(
                workspace,
                day,
                context.engine.failures,
                checked=problems,
                issues=context.record_issues,
                parts=parts,
            )
            fill_checked_keys(index, workspace)

        index.save_after_answer(save)
    return CheckResult(workspace, context.engine, problems)


def finished(problems: list[Problem]) -> list[Problem]:
    """Every problem found, sorted by place, the most specific kept."""
    return _most_specific(sorted(problems, key=Problem.sort_key))


def _most_specific(problems: list[Problem]) -> list[Problem]:
    """Drop a generic JSON Schema message where a specific check spoke of the same line."""
    specific = {(p.path, p.line) for p in problems if p.code != "config-schema" and p.is_error}
    return [p for p in problems if p.code != "config-schema" or (p.path, p.line) not in specific]


def count_by_severity(problems: Iterable[Problem]) -> tuple[int, int]:
    errors = sum(1 for p in problems if p.severity is Severity.ERROR)
    warnings = sum(1 for p in problems if p.severity is Severity.WARNING)
    return errors, warnings
