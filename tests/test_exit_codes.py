"""An invalid value is exit 1 whatever the field's type; 2 is kept for a mistyped command.

Every type of the field registry has a case here, so a new type cannot raise a usage error
(exit 2) for a value a user mistyped."""

from __future__ import annotations

import pytest

from crmcli.fields.registry import REGISTRY

from .conftest import crm_in_process

# The deal's project declares one field of every type the registry knows.
PROJECT = """
name: Opportunities
record_name: Deal
lists:
  - {name: Lead, probability: 0.1}
  - {name: Won, outcome: won}
tags: [website, seo]
fields:
  title: {type: text, max_length: 5}
  notes: {type: long_text, max_length: 5}
  seats: {type: number}
  amount: {type: currency}
  margin: {type: percent}
  contact: {type: email}
  phone: {type: phone}
  proposal: {type: url}
  close_date: {type: date}
  kickoff: {type: datetime}
  signed: {type: checkbox}
  confidence: {type: rating, max: 5}
  source: {type: select, options: [Referral, Website]}
  channels: {type: multi_select, options: [Email, Phone]}
  contracts: {type: files}
  client: {type: reference, project: clients, required: true}
  client_email: {type: lookup, through: client, field: email}
  total: {type: rollup, through: client, field: email, agg: count}
  double: {type: formula, expr: "amount * 2"}
"""

# type → (field, a value that field refuses, words of the message)
BAD_VALUES: dict[str, tuple[str, str, str]] = {
    "text": ("title", "much too long", "at most 5"),
    "long_text": ("notes", "much too long", "at most 5"),
    "number": ("seats", "many", "cannot read “many”"),
    "currency": ("amount", "lots", "cannot read “lots”"),
    "percent": ("margin", "half", "cannot read “half”"),
    "email": ("contact", "not-an-address", "e-mail"),
    "phone": ("phone", "call me", "phone"),
    "url": ("proposal", "not a url", "not a valid web address"),
    "date": ("close_date", "someday", "cannot read “someday”"),
    "datetime": ("kickoff", "soon", "cannot read “soon”"),
    "checkbox": ("signed", "perhaps", "cannot read “perhaps”"),
    "rating": ("confidence", "9", "rating from 1 to 5"),
    "select": ("source", "Billboard", "“Billboard” is not one of"),
    "multi_select": ("channels", "Fax", "“Fax” is not one of"),
    "files": ("contracts", "../outside.pdf", "outside.pdf"),
    "reference": ("client", "nobody", "no Company “nobody”"),
    "lookup": ("client_email", "x@y.example", "computed"),
    "referenced_by": ("opportunities", "acme-website", "computed"),
    "rollup": ("total", "3", "computed"),
    "formula": ("double", "3", "computed"),
    "list": ("list", "Nowhere", "“Nowhere” is not one of"),
    "tags": ("tags", "print", "“print” is not one of"),
    "member": ("assignee", "zoe", "not a member"),
    "checklist": ("checklist", "call", "cannot be set from the command line"),
    "dependencies": ("depends_on", "nothing", "cannot be set from the command line"),
    "history": ("history", "Lead", "cannot be set from the command line"),
    "next_step": ("next_step", "Call", "cannot be set from the command line"),
    "activities": ("activities", "Called", "cannot be set from the command line"),
}

CLIENTS = """
name: Clients
record_name: Company
lists: [Clients]
fields:
  email: {type: email}
  opportunities: {type: referenced_by, from: opportunities.client}
"""


def test_every_field_type_has_a_case():
    assert set(BAD_VALUES) == set(REGISTRY)


@pytest.fixture
def ws(workspace):
    return workspace(
        {
            "clients/_project.yaml": CLIENTS,
            "opportunities/_project.yaml": PROJECT,
            "opportunities/acme-website.yaml": "name: Acme — Website\nlist: Lead\nclient: acme\n",
        }
    )


def snapshot(root):
    """The workspace's files, .crm/ (the lock) left out."""
    files = (p for p in sorted(root.rglob("*")) if p.is_file() and ".crm" not in p.parts)
    return {p: p.read_bytes() for p in files}


@pytest.mark.parametrize("type_name", sorted(BAD_VALUES))
def test_a_bad_value_is_exit_1_and_writes_nothing(ws, type_name):
    key, bad, words = BAD_VALUES[type_name]
    record = "clients/acme" if key == "opportunities" else "opportunities/acme-website"
    before = snapshot(ws)
    command = "move" if key == "list" else "set"
    arguments = [record, bad] if command == "move" else [record, f"{key}={bad}"]
    result = crm_in_process("-C", ws, command, *arguments)
    assert (result.returncode, result.stdout) == (1, ""), result.stderr
    assert words in result.stderr and "Traceback" not in result.stderr
    assert snapshot(ws) == before


# a deal's own fields: a new deal's list is --list, and referenced_by is a field of clients
ADDED = sorted(t for t in BAD_VALUES if t not in ("list", "referenced_by"))


@pytest.mark.parametrize("type_name", ADDED)
def test_add_with_a_bad_value_is_exit_1_and_creates_nothing(ws, type_name):
    key, bad, _words = BAD_VALUES[type_name]
    before = snapshot(ws)
    result = crm_in_process(
        "-C",
        ws,
        "add",
        "opportunities",
        "New deal",
        "--set",
        "client=acme",
        "--set",
        f"{key}={bad}",
    )
    assert result.returncode == 1, result.stderr
    assert snapshot(ws) == before


def test_a_mistyped_command_stays_exit_2(ws):
    assert (
        crm_in_process("-C", ws, "set", "opportunities/acme-website", "nofield=1").returncode == 2
    )
    assert crm_in_process("-C", ws, "set", "--no-such-option").returncode == 2
    assert crm_in_process("-C", ws, "set", "opportunities/acme-website", "amount").returncode == 2
