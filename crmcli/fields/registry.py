"""Field types by the name schemas give them. A new type is one module and one line here."""

from __future__ import annotations

from crmcli.core.model import FieldDef
from crmcli.fields.activities import Activities, NextStep
from crmcli.fields.base import FieldType
from crmcli.fields.builtins import Assignee, Checklist, Dependencies, History, Stage, Tags
from crmcli.fields.choices import Checkbox, MultiSelect, Select
from crmcli.fields.computed import Formula, Lookup, ReferencedBy, Rollup
from crmcli.fields.contact import Email, Phone, Url
from crmcli.fields.dates import Date, DateTime
from crmcli.fields.files import Files
from crmcli.fields.numbers import Currency, Number, Percent, Rating
from crmcli.fields.references import Reference
from crmcli.fields.text import LongText, Text

REGISTRY: dict[str, type[FieldType]] = {
    "text": Text,
    "long_text": LongText,
    "number": Number,
    "currency": Currency,
    "percent": Percent,
    "email": Email,
    "phone": Phone,
    "url": Url,
    "date": Date,
    "datetime": DateTime,
    "checkbox": Checkbox,
    "rating": Rating,
    "select": Select,
    "multi_select": MultiSelect,
    "files": Files,
    "reference": Reference,
    "lookup": Lookup,
    "referenced_by": ReferencedBy,
    "rollup": Rollup,
    "formula": Formula,
    # the built-in fields' own types
    "list": Stage,
    "tags": Tags,
    "member": Assignee,
    "checklist": Checklist,
    "dependencies": Dependencies,
    "history": History,
    "next_step": NextStep,
    "activities": Activities,
}


def field_type(field: FieldDef) -> FieldType:
    """The type of `field`, bound to it; an unknown type checks nothing and refuses input."""
    return REGISTRY.get(field.type, FieldType)(field)


def formula_type(type_name: str) -> str | None:
    """How formulas see a field of this type: text, number, date, bool, list; None: any."""
    kind = REGISTRY.get(type_name)
    return kind.formula_type if kind else None
