"""What a project's web form asks: the record's name, then each field marked `form: true`,
in schema order, with its question, hint, example and the longest answer taken.

The inputs and the JSON keys are the field keys, so that a site posting to the endpoint
writes what the records hold (`name`, `email`, …)."""

from __future__ import annotations

from dataclasses import dataclass

from crmcli.core.model import FieldDef, Project, Workspace

NAME = "name"
# The longest answer a visitor may give, unless the schema's max_length says otherwise:
# room for any real value, not for a pasted book.
LONGEST_ANSWER = 300
LONGEST_TEXT = 5000
# The HTML input each type is typed into. Numbers and dates are text: the visitor writes
# them as people do in the workspace locale (12 000,50; 31/12/2026), read by the field type.
INPUTS = {
    "long_text": "textarea",
    "email": "email",
    "phone": "tel",
    "url": "url",
    "checkbox": "checkbox",
    "select": "select",
    "rating": "select",
    "multi_select": "checkboxes",
}
NUMERIC = frozenset({"number", "currency", "percent"})


@dataclass(frozen=True, slots=True)
class FormField:
    key: str
    label: str
    kind: str  # the field type
    input: str  # text, textarea, email, tel, url, checkbox, select, checkboxes
    required: bool
    longest: int
    help: str | None = None
    placeholder: str | None = None
    options: tuple[str, ...] = ()

    @property
    def numeric(self) -> bool:
        return self.kind in NUMERIC


@dataclass(frozen=True, slots=True)
class Form:
    project: str  # the project's key, in the form's address
    title: str
    record_name: str
    fields: tuple[FormField, ...]
    list_name: str | None  # the list new records enter

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(f.key for f in self.fields)


def form_of(project: Project) -> Form:
    name = FormField(NAME, project.record_name, "text", "text", True, LONGEST_ANSWER)
    asked = tuple(_form_field(f) for f in project.fields.values() if f.form)
    return Form(
        project.key, project.name, project.record_name, (name, *asked), _entry_list(project)
    )


def forms_of(workspace: Workspace) -> dict[str, Form]:
    """The forms of the projects that ask at least one field."""
    return {
        key: form_of(project)
        for key, project in workspace.projects.items()
        if any(f.form for f in project.fields.values())
    }


def _form_field(definition: FieldDef) -> FormField:
    longest = LONGEST_TEXT if definition.type == "long_text" else LONGEST_ANSWER
    options = definition.options
    if definition.type == "rating":
        options = tuple(str(score) for score in range(1, definition.rating_max + 1))
    return FormField(
        key=definition.key,
        label=definition.form_label or definition.label,
        kind=definition.type,
        input=INPUTS.get(definition.type, "text"),
        required=definition.required,
        longest=min(definition.max_length or longest, longest),
        help=definition.help or definition.description,
        placeholder=definition.placeholder,
        options=options,
    )


def _entry_list(project: Project) -> str | None:
    if "list" not in project.fields or not project.lists:
        return None
    return project.form_list or next(iter(project.lists))
