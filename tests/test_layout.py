"""`crm fmt`: record files in the canonical layout, comments and data kept."""

from __future__ import annotations

from crmcli.core.yamlio import parse
from crmcli.editing.fmt import format_workspace

from .conftest import crm

MESSY = """\
# Acme's big project
amount: 12000   # before tax
cost: 7000
client: "acme"
tags: ["website"]

# where the deal stands
list: 'Won'
name: "Acme — Website"
assignee: alice
description: "Contact : Jean (CTO)"
"""

CANONICAL = """\
# Acme's big project
name: Acme — Website

# where the deal stands
list: Won
tags: [website]
assignee: alice
description: 'Contact : Jean (CTO)'
amount: 12000   # before tax
cost: 7000
client: acme
"""


def test_keys_in_schema_order_quotes_only_where_needed_comments_kept(workspace):
    root = workspace({"opportunities/acme-website.yaml": MESSY})
    before = parse(MESSY).data
    result = crm("-C", root, "fmt")
    assert result.returncode == 0, result.stderr
    assert "reformatted opportunities/acme-website.yaml" in result.stdout
    text = (root / "opportunities/acme-website.yaml").read_text(encoding="utf-8")
    assert text == CANONICAL
    assert parse(text).data == before
    assert format_workspace(root).changed == []  # a second run changes nothing


def test_check_lists_and_fails_but_writes_nothing(workspace):
    root = workspace({"opportunities/acme-website.yaml": MESSY})
    result = crm("-C", root, "fmt", "--check")
    assert result.returncode == 1
    assert "would reformat opportunities/acme-website.yaml" in result.stdout
    assert "1 file of 2 not in the canonical layout" in result.stderr
    assert (root / "opportunities/acme-website.yaml").read_text(encoding="utf-8") == MESSY
    crm("-C", root, "fmt")
    assert crm("-C", root, "fmt", "--check").returncode == 0


def test_values_that_need_quotes_keep_them(workspace):
    text = "name: 'NO'\nlist: Clients\nphone: '0142685300'\nemail: a@acme.example\nregion: Paris\n"
    root = workspace({"clients/acme.yaml": text})
    format_workspace(root)
    written = (root / "clients/acme.yaml").read_text(encoding="utf-8")
    assert parse(written).data == parse(text).data
    assert "phone: '0142685300'" in written  # a number to YAML without its quotes


def test_a_broken_file_is_reported_and_the_others_are_formatted(workspace):
    root = workspace(
        {"opportunities/acme-website.yaml": MESSY, "clients/acme.yaml": "name: [broken\n"}
    )
    result = crm("-C", root, "fmt")
    assert result.returncode == 1
    assert "clients/acme.yaml:2:1: error[invalid-yaml]" in result.stderr
    assert (root / "clients/acme.yaml").read_text(encoding="utf-8") == "name: [broken\n"
    assert (root / "opportunities/acme-website.yaml").read_text(encoding="utf-8") == CANONICAL
