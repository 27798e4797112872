"""The one renderer of new record files (crmcli.editing.new_record.render_record), used by `crm add` and
`crm import`: the canonical layout, and every value read back as it was given — by the fast
reader, by the round-trip writer (ruamel) and by a YAML 1.1 reader alike."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta, timezone

import pytest
import yaml
from ruamel.yaml import YAML

from crmcli.core.yamlio import parse
from crmcli.editing.new_record import render_record

PARIS_WINTER = timezone(timedelta(hours=1))
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=PARIS_WINTER)

TRICKY_TEXTS = [
    "yes", "no", "NO", "on", "off", "null", "~", "true", "True", "0o17", "0x1F", "012", "1_000",
    "1e3", "1.5", ".5", "-1", "+33 1 99 00 54 79", "2025-10-15", "2025-10-15 10:00", "12:30",
    "", " leading", "trailing ", "a: b", "a:b", "a #b", "a#b", "#hash", "- dash", "-", "?",
    "? q", "[x]", "{x}", "a, b", "'quoted'", '"double"', "@alice", "`tick`", "%percent",
    "!tag", "&anchor", "*alias", "|pipe", ">fold", "Société Générale — Site", "Ромашка",
    "line one\nline two\n", "line\n\n\n", "no newline\nat end", "tab\there", "bell\x07",
    "nel\x85", "ls\u2028", "bom\ufeff", "emoji 🎉", "=1+2", "ends with colon:",
]  # fmt: skip


def readers(text: str) -> list:
    return [
        parse(text).data,
        YAML(typ="rt").load(io.StringIO(text)),
        yaml.safe_load(text),  # YAML 1.1: the reader most other tools have
    ]


@pytest.mark.parametrize("value", TRICKY_TEXTS)
def test_text_reads_back_as_written(value):
    data = {"name": value, "tags": [value, "seo"], "history": [{"list": value, "at": NOW}]}

    text = render_record(data)

    for read in readers(text):
        assert read == data, text


def test_the_canonical_layout():
    data = {
        "name": "Initech — Brand book",
        "list": "Proposal sent",
        "tags": ["website", "seo"],
        "amount": 8500,
        "rate": 0.5,
        "huge": 1e20,
        "signed": False,
        "close_date": date(2026, 12, 31),
        "address": "12 rue de la Paix\n75002 Paris\n",
        "empty": [],
        "created": NOW,
        "history": [{"list": "Proposal sent", "at": NOW, "by": "alice"}],
    }

    text = render_record(data)

    assert text == (
        "name: Initech — Brand book\n"
        "list: Proposal sent\n"
        "tags: [website, seo]\n"
        "amount: 8500\n"
        "rate: 0.5\n"
        "huge: 1.0e+20\n"
        "signed: false\n"
        "close_date: 2026-12-31\n"
        "address: |\n"
        "  12 rue de la Paix\n"
        "  75002 Paris\n"
        "empty: []\n"
        "created: 2026-11-23T10:00:00+01:00\n"
        "history:\n"
        "- {list: Proposal sent, at: 2026-11-23T10:00:00+01:00, by: alice}\n"
    )
    for read in readers(text):
        assert read == data
