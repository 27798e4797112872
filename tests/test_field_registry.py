"""The field-type registry: every type DESIGN.md names has one class, and each class validates
a stored value, reads a typed one, tells formulas its type and gives its display text."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from crmcli.core.loader import load_workspace
from crmcli.core.model import BUILTIN_FIELDS, FIELD_TYPES, FieldDef
from crmcli.errors import InvalidValueError
from crmcli.fields.base import FieldType
from crmcli.fields.context import FieldContext
from crmcli.fields.formatting import Formatter
from crmcli.fields.registry import REGISTRY, field_type, formula_type

from .conftest import REPO, TODAY

THINGS = """
    name: Things
    record_name: Thing
    lists: [Open, Lost]
    tags: [seo, website]
    fields:
      title: {type: text, max_length: 5}
      notes: {type: long_text}
      employees: {type: number, min: 0}
      amount: {type: currency}
      discount: {type: percent}
      email: {type: email}
      phone: {type: phone, region: FR}
      website: {type: url}
      close_date: {type: date}
      meeting: {type: datetime}
      signed: {type: checkbox}
      stars: {type: rating, max: 3}
      source: {type: select, options: [Referral, Website]}
      services: {type: multi_select, options: [Branding, SEO]}
      contracts: {type: files}
      client: {type: reference, project: clients}
      score: {type: formula, expr: "stars * 2"}
"""


def design_field_types() -> set[str]:
    """The backquoted names of the “Field types:” paragraph of DESIGN.md, which lives beside
    the repository (shared/DESIGN.md in a folder above it)."""
    found = [
        p / "shared" / "DESIGN.md" for p in REPO.parents if (p / "shared" / "DESIGN.md").is_file()
    ]
    if not found:
        pytest.skip("DESIGN.md is not beside the repository")
    design = found[0].read_text(encoding="utf-8")
    paragraph = design.split("Field types:", 1)[1].split("\n\n", 1)[0]
    return set(re.findall(r"`([a-z_]+)`", paragraph))


@pytest.fixture
def context(workspace: Callable[..., Path]) -> FieldContext:
    root = workspace({"things/_project.yaml": THINGS, "things/brief.pdf": b"%PDF"})
    loaded = load_workspace(root)
    return FieldContext(loaded, loaded.projects["things"], TODAY)


def kind_of(context: FieldContext, key: str) -> FieldType:
    return field_type(context.project.fields[key])


def test_every_type_the_schema_accepts_is_registered() -> None:
    assert FIELD_TYPES - REGISTRY.keys() == set()


def test_every_type_of_design_is_registered() -> None:
    named = design_field_types()
    assert {"text", "currency", "reference", "lookup", "rollup", "formula"} <= named
    assert named - REGISTRY.keys() == set()


def test_every_built_in_field_has_a_registered_type() -> None:
    assert {f.type for f in BUILTIN_FIELDS.values()} - REGISTRY.keys() == set()


@pytest.mark.parametrize(
    ("type_name", "expected"),
    [
        ("text", "text"),
        ("email", "text"),
        ("select", "text"),
        ("list", "text"),
        ("member", "text"),
        ("currency", "number"),
        ("rating", "number"),
        ("datetime", "date"),
        ("checkbox", "bool"),
        ("multi_select", "list"),
        ("tags", "list"),
        ("referenced_by", "list"),
        ("formula", None),
        ("lookup", None),
        ("reference", None),
        ("no_such_type", None),
    ],
)
def test_formula_types(type_name: str, expected: str | None) -> None:
    assert formula_type(type_name) == expected


# key, a stored value that is fine, a stored value that is not and the issue's code
STORED = [
    ("title", "Acme", "Acme Corp", "too-long"),
    ("title", 75001, True, "wrong-type"),
    ("notes", "Long\ntext", ["a"], "wrong-type"),
    ("employees", 12, -1, "out-of-range"),
    ("amount", 12000.5, "12k", "wrong-type"),
    ("discount", 35, float("nan"), "wrong-type"),
    ("email", "anna@acme.example", "anna@", "invalid-email"),
    ("phone", "01 42 68 53 00", "01 23", "invalid-phone"),
    ("website", "https://acme.example", "acme", "invalid-url"),
    ("close_date", date(2026, 1, 31), "2026-02-30", "invalid-date"),
    ("meeting", datetime(2026, 1, 31, 9, 0), "tomorrow 9am", "invalid-datetime"),
    ("signed", True, "yes", "wrong-type"),
    ("stars", 3, 4, "wrong-type"),
    ("source", "Website", "Web site", "unknown-option"),
    ("services", ["SEO"], ["SEO", "Ads"], "unknown-option"),
    ("contracts", ["things/brief.pdf"], ["../secret.pdf"], "bad-file"),
    ("client", "acme", "Acme", "dangling-reference"),
    ("list", "Open", "Closed", "unknown-list"),
    ("tags", ["seo"], ["sea"], "unknown-tag"),
    ("assignee", "alice", "carol", "unknown-member"),
    ("checklist", ["call", {"item": "send", "done": True}], [{"todo": 1}], "bad-checklist-item"),
    ("depends_on", ["clients/acme"], ["nowhere"], "dangling-reference"),
    ("history", [{"list": "Open", "at": datetime(2026, 1, 1)}], [{"at": 1}], "bad-history"),
]


@pytest.mark.parametrize(("key", "good", "bad", "code"), STORED)
def test_validate(context: FieldContext, key: str, good: Any, bad: Any, code: str) -> None:
    kind = kind_of(context, key)
    assert kind.validate(good, context) == []
    issues = kind.validate(bad, context)
    assert [issue.code for issue in issues] == [code]
    assert context.project.fields[key].label in issues[0].message or key in (
        "list",
        "tags",
        "checklist",
        "depends_on",
        "history",
    )


def test_an_issue_below_the_field_says_which_item(context: FieldContext) -> None:
    issues = kind_of(context, "services").validate(["SEO", "Ads", "Branding"], context)
    assert [issue.key_path for issue in issues] == [(1,)]


# key, what a user types (fr_FR workspace), the value stored
TYPED = [
    ("title", "Acme", "Acme"),
    ("employees", "12 000", 12000),
    ("amount", "12 000,50 €", 12000.5),
    ("amount", "12,000.50", 12000.5),
    ("discount", "35", 35),
    ("email", "anna@acme.example", "anna@acme.example"),
    ("close_date", "31/01/2026", date(2026, 1, 31)),
    ("close_date", "tomorrow", date(2026, 11, 24)),
    ("meeting", "2026-01-31T09:00", datetime(2026, 1, 31, 9, tzinfo=ZoneInfo("Europe/Paris"))),
    ("signed", "oui", True),
    ("stars", "2", 2),
    ("source", "website", "Website"),
    ("services", "seo, branding", ["SEO", "Branding"]),
    ("contracts", "a.pdf, b.pdf", ["a.pdf", "b.pdf"]),
    ("client", "ACME", "acme"),
    ("list", "lost", "Lost"),
    ("tags", "seo,website", ["seo", "website"]),
    ("assignee", "Alice Martin", "alice"),
]


@pytest.mark.parametrize(("key", "text", "stored"), TYPED)
def test_parse(context: FieldContext, key: str, text: str, stored: Any) -> None:
    assert kind_of(context, key).parse(text, context) == stored


@pytest.mark.parametrize(
    ("key", "text", "message"),
    [
        ("employees", "twelve", "employees: cannot read “twelve” as a number"),
        ("stars", "4", "stars: cannot read “4” as a rating from 1 to 3"),
        ("signed", "maybe", "signed: cannot read “maybe” as yes or no"),
        ("source", "Cold", "source: “Cold” is not one of Referral or Website"),
        ("client", "Globex", "client: no Company “Globex” in Clients"),
        ("score", "3", "score is computed (formula) and cannot be set"),
        ("checklist", "call", "checklist cannot be set from the command line"),
    ],
)
def test_parse_refuses(context: FieldContext, key: str, text: str, message: str) -> None:
    with pytest.raises(InvalidValueError) as raised:
        kind_of(context, key).parse(text, context)
    assert raised.value.message.startswith(message)


def test_display_reads_in_the_workspace_locale(context: FieldContext) -> None:
    formatter = Formatter.for_workspace(context.workspace.config)

    def shown(key: str, value: Any) -> str:
        return kind_of(context, key).display(value, formatter).replace("\u202f", " ")

    assert shown("amount", 12000.5) == "12 000,50\xa0€"
    assert shown("discount", 35) == "35%"
    assert shown("signed", True) == "yes"
    assert shown("services", ["SEO", "Branding"]) == "SEO, Branding"
    assert shown("close_date", date(2026, 1, 31)) == "31 janv. 2026"
    assert shown("title", "Acme") == "Acme"


def test_an_unknown_type_checks_nothing_and_refuses_input(context: FieldContext) -> None:
    kind = field_type(FieldDef(key="odd", type="hologram", label="odd"))
    assert type(kind) is FieldType
    assert kind.validate(object(), context) == []
    with pytest.raises(InvalidValueError):
        kind.parse("x", context)
