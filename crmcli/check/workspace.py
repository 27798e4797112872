"""`crm check`: the validations, each a small function, run in order over the model."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from crmcli.core.loader import (
    AUTOMATIONS_FILE,
    DASHBOARDS_DIR,
    PROJECT_FILE,
    WORKSPACE_FILE,
    ConfigFile,
    Loader,
)
from crmcli.core.model import BUILTIN_FIELDS, DERIVED_NAMES, FieldDef, Project, Record, Workspace
from crmcli.core.problems import ProblemLog, did_you_mean
from crmcli.core.yamlio import locate
from crmcli.engine import deals
from crmcli.engine.compute import Engine
from crmcli.errors import Problem, Severity
from crmcli.fields.validation import (
    ValidationContext,
    Validator,
    email_problem,
    is_empty,
    make_validator,
)
from crmcli.i18n import _
from crmcli.reports.spec import check_dashboard

ID_PATTERN = re.compile(r"^[a-z0-9]+(?:[-_.][a-z0-9]+)*$")
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


@dataclass(slots=True)
class CheckContext:
    workspace: Workspace
    log: ProblemLog
    engine: Engine


# configuration files against the JSON Schemas in schema/


def _schema_for(path: str) -> str | None:
    if path == WORKSPACE_FILE:
        return "crm.schema.json"
    if path.endswith("/" + PROJECT_FILE):
        return "project.schema.json"
    if path == AUTOMATIONS_FILE:
        return "automations.schema.json"
    if path.startswith(DASHBOARDS_DIR + "/"):
        return "dashboard.schema.json"
    return None


@cache
def _validator(schema_name: str) -> Any:
    from jsonschema import Draft202012Validator

    text = resources.files("crmcli").joinpath("schemas", schema_name).read_text(encoding="utf-8")
    schema = json.loads(text)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def jsonable(value: Any) -> Any:
    """YAML values as JSON would see them: dates become ISO text."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def check_config_schemas(context: CheckContext) -> None:
    for file in context.workspace.config_files.values():
        check_config_file(file, context.log)


def check_config_file(file: ConfigFile, log: ProblemLog) -> None:
    """One configuration file against its JSON Schema (crm dashboard checks just its own)."""
    schema_name = _schema_for(file.path)
    if schema_name is None or file.data is None:
        return
    seen: set[tuple[tuple[Any, ...], str]] = set()
    errors = _validator(schema_name).iter_errors(jsonable(file.data))
    for error in sorted(errors, key=lambda e: [str(p) for p in e.absolute_path]):
        key_path, message = _schema_message(error)
        if (key_path, message) in seen:
            continue
        seen.add((key_path, message))
        line, column = locate(file.positions, key_path)
        log.add_at(file.path, line, column, "config-schema", message)


def _schema_message(error: Any) -> tuple[tuple[Any, ...], str]:
    """A jsonschema error in words, and the key path it is about."""
    path = tuple(error.absolute_path)
    where = ".".join(str(p) for p in path)
    prefix = f"{where}: " if where else ""
    if error.validator in ("additionalProperties", "unevaluatedProperties"):
        unexpected = _unexpected_keys(error)
        if unexpected:
            known = list(error.schema.get("properties", {}))
            key = unexpected[0]
            return (*path, key), prefix + _("unknown key “{key}”{hint}").format(
                key=key, hint=did_you_mean(key, known)
            )
    if error.validator == "enum":
        choices = [str(c) for c in error.validator_value]
        return path, prefix + _("“{value}” is not one of {choices}{hint}").format(
            value=error.instance,
            choices=", ".join(choices),
            hint=did_you_mean(str(error.instance), choices),
        )
    if error.validator == "required":
        missing = re.findall(r"'([^']+)' is a required property", error.message)
        if missing:
            return path, prefix + _("“{key}” is missing").format(key=missing[0])
    if error.validator == "pattern":
        description = error.schema.get("description", "")
        return path, prefix + _("“{value}” is not valid here. {description}").format(
            value=error.instance, description=description
        ).strip()
    return path, prefix + error.message


def _unexpected_keys(error: Any) -> list[str]:
    instance = error.instance if isinstance(error.instance, dict) else {}
    quoted = re.findall(r"'([^']+)'", error.message)
    return [key for key in quoted if key in instance]


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
    _check_locale(context)


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


def _check_locale(context: CheckContext) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from babel import Locale, UnknownLocaleError
    from babel.numbers import get_currency_name

    config = context.workspace.config
    raw = config.raw
    if "locale" in raw:
        try:
            Locale.parse(config.locale.replace("-", "_"))
        except (UnknownLocaleError, ValueError, TypeError):
            context.log.add(
                WORKSPACE_FILE,
                ("locale",),
                "unknown-locale",
                _("unknown locale “{locale}” (e.g. fr_FR, ru_RU, en_US)").format(
                    locale=config.locale
                ),
            )
    if "currency" in raw and get_currency_name(config.currency, locale="en") == config.currency:
        context.log.add(
            WORKSPACE_FILE,
            ("currency",),
            "unknown-currency",
            _("unknown currency “{currency}” (an ISO code such as EUR, RUB, USD)").format(
                currency=config.currency
            ),
        )
    if "timezone" in raw:
        try:
            ZoneInfo(config.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            context.log.add(
                WORKSPACE_FILE,
                ("timezone",),
                "unknown-timezone",
                _("unknown time zone “{zone}” (e.g. Europe/Paris)").format(zone=config.timezone),
            )


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
        target = definition.spec.get("project")
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
    validation = validation_context(workspace)
    for project in workspace.projects.values():
        checker = RecordChecker(project, validation)
        for record in project.records.values():
            for issue in checker.issues(record):
                context.log.add(
                    record.path, issue.key_path, issue.code, issue.message, issue.severity
                )


def validation_context(workspace: Workspace) -> ValidationContext:
    return ValidationContext(
        root=workspace.root,
        phone_region=workspace.config.phone_region,
        members=workspace.config.members,
        projects=workspace.projects,
    )


@dataclass(frozen=True, slots=True)
class RecordIssue:
    key_path: tuple[Any, ...]
    code: str
    message: str
    severity: Severity = Severity.ERROR

    @property
    def field(self) -> Any:
        return self.key_path[0] if self.key_path else None


class RecordChecker:
    """Every rule one record must follow; built once per project, applied to each record."""

    def __init__(self, project: Project, validation: ValidationContext) -> None:
        self.project = project
        self.validators: dict[str, Validator | None] = {
            key: make_validator(f, validation, project)
            for key, f in project.fields.items()
            if not f.computed
        }
        self.required = [f for f in project.fields.values() if f.required and not f.computed]
        self.required_in = [f for f in project.fields.values() if f.required_in and not f.computed]
        self.needs_list = bool(project.lists) and "list" in project.fields

    def issues(self, record: Record) -> list[RecordIssue]:
        found: list[RecordIssue] = []
        label = self.project.record_label(record)

        def error(key_path: tuple[Any, ...], code: str, message: str) -> None:
            found.append(RecordIssue(key_path, code, f"{label}: {message}"))

        data = record.data
        validators = self.validators
        for key, value in data.items():
            if key in validators:
                validate = validators[key]
                if validate is not None and value is not None and value != "":
                    for issue in validate(value):
                        error((key, *issue.key_path), issue.code, issue.message)
            else:
                error(*self._unexpected_key(key))
        for definition in self.required:
            if is_empty(data.get(definition.key)):
                error(
                    (definition.key,),
                    "required",
                    _("{label} is required").format(label=definition.label),
                )
        if self.needs_list and is_empty(data.get("list")):
            error(
                ("list",),
                "no-list",
                _("is in no list; add list: one of {lists}").format(
                    lists=", ".join(self.project.lists)
                ),
            )
        list_name = data.get("list")
        for definition in self.required_in:
            if list_name in definition.required_in and is_empty(data.get(definition.key)):
                error(
                    (definition.key,) if definition.key in data else ("list",),
                    "required",
                    _("{label} is required in “{list}”").format(
                        label=definition.label, list=list_name
                    ),
                )
        if not ID_PATTERN.match(record.id):
            found.append(
                RecordIssue(
                    (),
                    "bad-id",
                    _(
                        "the file name “{id}” is not a lowercase id (letters, digits and dashes)"
                    ).format(id=record.id),
                    Severity.WARNING,
                )
            )
        return found

    def _unexpected_key(self, key: Any) -> tuple[tuple[Any, ...], str, str]:
        field = self.project.fields.get(key)
        if field is not None and field.computed:
            message = _("{label} is computed ({kind}); remove it from the file").format(
                label=field.label, kind=field.type
            )
            return (key,), "computed-field-in-record", message
        if key in BUILTIN_FIELDS:
            return (
                (key,),
                "removed-field",
                _("“{field}” is not used in {project} (removed in {file})").format(
                    field=key, project=self.project.name, file=PROJECT_FILE
                ),
            )
        return (
            (str(key),),
            "unknown-field",
            _("unknown field “{field}”{hint}").format(
                field=key, hint=did_you_mean(str(key), self.validators)
            ),
        )


# computed fields


def check_computed(context: CheckContext) -> None:
    context.engine.run()
    deals.check_probabilities(context.engine, context.log)


def check_dashboards(context: CheckContext) -> None:
    for path, file in context.workspace.config_files.items():
        if path.startswith(DASHBOARDS_DIR + "/") and isinstance(file.data, dict):
            check_dashboard(context.engine, path, file.data, context.log)


def check_automations(context: CheckContext) -> None:
    from crmcli.automations.rules import check_notification_settings, read_rules

    read_rules(context.workspace, context.engine, context.log)
    check_notification_settings(context.workspace, context.log)


CHECKS: tuple[Callable[[CheckContext], None], ...] = (
    check_config_schemas,
    check_workspace_config,
    check_project_schemas,
    check_records,
    check_computed,
    check_dashboards,
    check_automations,
)


def check_workspace(root: Path, today: date | None = None) -> CheckResult:
    """Load the workspace, run every check, compute every field; problems sorted by place."""
    loader = Loader(root)
    workspace = loader.load()
    context = CheckContext(workspace, loader.log, Engine(workspace, loader.log, today))
    for check in CHECKS:
        check(context)
    problems = _most_specific(sorted(loader.log.problems, key=Problem.sort_key))
    workspace.problems = problems
    return CheckResult(workspace, context.engine, problems)


def _most_specific(problems: list[Problem]) -> list[Problem]:
    """Drop a generic JSON Schema message where a specific check spoke of the same line."""
    specific = {(p.path, p.line) for p in problems if p.code != "config-schema" and p.is_error}
    return [p for p in problems if p.code != "config-schema" or (p.path, p.line) not in specific]


def count_by_severity(problems: Iterable[Problem]) -> tuple[int, int]:
    errors = sum(1 for p in problems if p.severity is Severity.ERROR)
    warnings = sum(1 for p in problems if p.severity is Severity.WARNING)
    return errors, warnings
