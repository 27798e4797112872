"""Record ids: one slug rule and one collision rule for `crm add` and `crm import`."""

from __future__ import annotations

from crmcli.editing.ids import MAX_ID_LENGTH, free_id, make_id


def test_a_name_becomes_a_readable_ascii_id():
    assert make_id("Société Générale") == "societe-generale"
    assert make_id("Ромашка") == "romashka"
    assert len(make_id("word " * 100)) <= MAX_ID_LENGTH


def test_a_taken_id_gets_the_first_free_suffix():
    assert free_id("acme", set()) == "acme"
    assert free_id("acme", {"acme", "acme-2"}) == "acme-3"
