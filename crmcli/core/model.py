"""The workspace model: plain data read from the files, nothing computed here."""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crmcli.errors import Problem
from crmcli.i18n import quoted
from crmcli.secrets.sealing import Sealing

COMPUTED_TYPES = frozenset({"lookup", "referenced_by", "rollup", "formula"})
STORED_TYPES = frozenset(
    {
        "text",
        "long_text",
        "number",
        "currency",
        "percent",
        "email",
        "phone",
        "url",
        "date",
        "datetime",
        "checkbox",
        "rating",
        "select",
        "multi_select",
        "files",
        "reference",
    }
)
FIELD_TYPES = STORED_TYPES | COMPUTED_TYPES
OUTCOMES = ("open", "won", "lost", "closed")
# What formulas, conditions and dashboards read of a record's activities and next step
# (engine/activity.py computes them).
ACTIVITY_NAMES = (
    "last_activity",
    "days_since_activity",
    "has_next_step",
    "next_step_what",
    "next_step_due",
    "next_step_by",
    "next_step_overdue",
)
DERIVED_NAMES = (
    "id",
    "project",
    "outcome",
    "probability",
    "max_days",
    *ACTIVITY_NAMES,
)


DEFAULT_RATING_MAX = 5


@dataclass(frozen=True, slots=True)
class FieldDef:
    """One field of a project's schema, its settings checked when loaded (core/config.py):
    consumers read these typed settings, never the mapping as written."""

    key: str
    type: str
    label: str
    line: int = 0
    column: int = 0
    required: bool = False
    required_in: tuple[str, ...] = ()
    options: tuple[str, ...] = ()
    builtin: bool = False
    multiple: bool = False
    target_project: str | None = None  # reference: the project it points into
    display_format: str | None = None  # formula, lookup, rollup: how the value reads
    currency: str | None = None  # currency: the field's own currency code
    rating_max: int = DEFAULT_RATING_MAX
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None
    phone_region: str | None = None
    description: str | None = None
    through: str | None = None  # lookup, rollup: the reference or referenced_by field followed
    source_field: str | None = None  # lookup, rollup: the field read on the records reached
    agg: str | None = None  # rollup: sum, count, min, max, avg or join
    where: str | None = None  # rollup: the expression the records reached must satisfy
    expr: str | None = None  # formula: its expression
    backlink_from: str | None = None  # referenced_by: the reference pointing here, project.field
    broken: bool = False  # a setting it is computed from has the wrong type: it computes nothing
    form: bool = False  # asked on the project's web form (crm form)
    form_label: str | None = None  # the form's question, when it differs from the label
    help: str | None = None  # the form's hint under the input
    placeholder: str | None = None  # the form's example inside an empty input

    @property
    def computed(self) -> bool:
        return self.type in COMPUTED_TYPES

    @property
    def linked_project(self) -> str | None:
        """The project whose records the field links to: a reference's target, or the project
        a referenced_by field's backlinks come from."""
        if self.type == "reference":
            return self.target_project
        if self.type == "referenced_by":
            return self.backlink[0] or None
        return None

    @property
    def backlink(self) -> tuple[str, str]:
        """referenced_by: (project, reference field) of `from: project.field`."""
        project, _dot, reference = (self.backlink_from or "").partition(".")
        return project, reference

    @property
    def shown_as(self) -> str:
        """The type whose display a value takes: a formula with `format: currency` reads as money."""
        return (self.display_format or "") if self.computed else self.type


def _builtin(key: str, type_: str, label: str, required: bool = False) -> FieldDef:
    return FieldDef(key=key, type=type_, label=label, required=required, builtin=True)


# Built-in fields of every record, in the order `crm show` and canonical files use.
BUILTIN_FIELDS: dict[str, FieldDef] = {
    f.key: f
    for f in (
        _builtin("name", "text", "name", required=True),
        _builtin("list", "list", "list"),
        _builtin("tags", "tags", "tags"),
        _builtin("assignee", "member", "assignee"),
        _builtin("due", "date", "due date"),
        _builtin("description", "long_text", "description"),
        _builtin("checklist", "checklist", "checklist"),
        _builtin("depends_on", "dependencies", "depends on"),
        _builtin("created", "datetime", "created"),
        _builtin("updated", "datetime", "updated"),
        _builtin("history", "history", "history"),
        _builtin("next_step", "next_step", "next step"),
        _builtin("activities", "activities", "activities"),
    )
}
REMOVABLE_BUILTINS = frozenset(BUILTIN_FIELDS) - {"name"}


@dataclass(frozen=True, slots=True)
class ListDef:
    """A stage of a project's process."""

    name: str
    index: int
    outcome: str = "open"
    probability: float | None = None
    max_days: int | None = None
    line: int = 0


@dataclass(slots=True)
class Record:
    project: str
    id: str
    path: str
    data: dict[str, Any]
    computed: dict[str, Any] = field(default_factory=dict)
    sealed: dict[str, str] = field(default_factory=dict)  # hidden values as the file has them

    @property
    def ref(self) -> str:
        return f"{self.project}/{self.id}"

    @property
    def name(self) -> str:
        value = self.data.get("name")
        return value if isinstance(value, str) else self.id

    @property
    def list_name(self) -> str | None:
        value = self.data.get("list")
        return value if isinstance(value, str) else None

    @property
    def tags(self) -> list[str]:
        value = self.data.get("tags")
        return [tag for tag in value if isinstance(tag, str)] if isinstance(value, list) else []

    def value(self, key: str) -> Any:
        """A stored or computed field's value (None when empty)."""
        if key in self.computed:
            return self.computed[key]
        return self.data.get(key)


@dataclass(slots=True)
class Project:
    key: str
    name: str
    record_name: str
    schema_path: str
    lists: dict[str, ListDef] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    fields: dict[str, FieldDef] = field(default_factory=dict)
    removed: frozenset[str] = frozenset()
    records: MutableMapping[str, Record] = field(default_factory=dict)  # or lazy: LazyRecords
    value_field: str | None = None  # the money a record stands for in pipeline figures
    form_list: str | None = None  # the list records made by the web form enter (None: the first)

    @property
    def custom_fields(self) -> list[FieldDef]:
        return [f for f in self.fields.values() if not f.builtin]

    @property
    def computed_fields(self) -> list[FieldDef]:
        return [f for f in self.fields.values() if f.computed]

    def record_label(self, record: Record) -> str:
        """How a salesperson names a record in a message: Deal “Acme — Website”."""
        return f"{self.record_name} {quoted(record.name)}"


@dataclass(frozen=True, slots=True)
class RecordEvent:
    """What a change did to one record, for automations: `created`, `moved` (from → to) or
    `changed` (the fields whose values changed)."""

    kind: str
    project: str
    record_id: str
    from_list: str | None = None
    to_list: str | None = None
    fields: tuple[str, ...] = ()

    @property
    def ref(self) -> str:
        return f"{self.project}/{self.record_id}"


@dataclass(frozen=True, slots=True)
class Member:
    id: str
    name: str
    email: str | None = None
    role: str | None = None
    region: str | None = None
    away: bool = False
    notify: tuple[str, ...] = ()
    age: str | None = None  # public key (age1… or ssh-ed25519 …) the data key is wrapped for
    extra: Mapping[str, Any] = field(default_factory=dict)


DEFAULT_ENV = ("CRM_*",)  # ${NAME} in a notification URL reads only these by default


@dataclass(frozen=True, slots=True)
class Role:
    name: str
    hidden: frozenset[str] = frozenset()
    read_only: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class WorkspaceConfig:
    """crm.yaml, checked when loaded: every value here is usable (a broken one was replaced
    by its default and reported), so `ZoneInfo(config.timezone)` and Babel never fail."""

    name: str = ""
    locale: str = "en_US"  # Babel's spelling: fr_FR
    language: str = "en"
    currency: str = "EUR"
    timezone: str = "UTC"
    phone_region: str | None = None  # the region of national phone numbers: FR
    state_file: str | None = None
    record_link: str | None = None
    members: dict[str, Member] = field(default_factory=dict)
    roles: dict[str, Role] = field(default_factory=dict)
    channels: dict[str, str] = field(default_factory=dict)
    env: tuple[str, ...] = DEFAULT_ENV  # the variables ${NAME} in notification URLs may read


@dataclass(slots=True)
class Workspace:
    root: Path
    config: WorkspaceConfig
    projects: dict[str, Project] = field(default_factory=dict)
    config_files: dict[str, Any] = field(default_factory=dict)
    unreadable_projects: set[str] = field(default_factory=set)  # their schema is broken
    problems: list[Problem] = field(default_factory=list)
    left_out: set[str] = field(default_factory=set)  # record files that cannot be read
    sealing: Sealing = field(default_factory=Sealing)  # hidden fields encrypted in the files

    def project(self, key: str) -> Project | None:
        return self.projects.get(key)

    def record(self, project_key: str, record_id: str) -> Record | None:
        project = self.projects.get(project_key)
        return project.records.get(record_id) if project else None
