"""A `url` field's plain web addresses are judged by one regular expression instead of by
`validators` (fields/contact.py): every address of that shape is one `validators` accepts,
and an address of another shape is still asked of it, so the answer never changes."""

from __future__ import annotations

import validators
from hypothesis import given, settings
from hypothesis import strategies as st

from crmcli.core.loader import load_workspace
from crmcli.fields.contact import _PLAIN_WEB_ADDRESS, PLAIN_WEB_ADDRESS_MAX, plainly_valid_url
from crmcli.fields.context import FieldContext
from crmcli.fields.registry import field_type

from .conftest import SAMPLE

PLAIN = st.from_regex(_PLAIN_WEB_ADDRESS, fullmatch=True).filter(
    lambda value: len(value) <= PLAIN_WEB_ADDRESS_MAX
)


@settings(max_examples=3000, deadline=None, derandomize=True)
@given(PLAIN)
def test_every_plain_address_is_one_validators_accepts(value: str) -> None:
    assert plainly_valid_url(value)
    assert validators.url(value, simple_host=True) is True


def test_the_addresses_it_leaves_to_validators() -> None:
    valid_elsewhere = [
        "https://Example.com",  # capitals
        "https://example.com:8080/a",  # a port
        "https://example.com/a?b=c",  # a query
        "https://example.com/#top",  # a fragment
        "ftp://example.com",  # another scheme
        "https://localhost",  # a simple host
        "https://10.0.0.1/x",  # an address
        "https://example.c0m",  # a digit in the top-level label
    ]
    invalid = [
        "example.com",
        "https://-example.com",
        "https://exa mple.com",
        "https://example..com",
        "https://" + "a" * 64 + ".com",
        "https://" + "a." * 130 + "com",
    ]
    for value in valid_elsewhere + invalid:
        assert not plainly_valid_url(value), value
    assert all(validators.url(v, simple_host=True) is True for v in valid_elsewhere)
    assert not any(validators.url(v, simple_host=True) is True for v in invalid)


def test_a_url_field_gives_the_same_answers() -> None:
    """Through the field: a plain address has no problem, others are judged as before."""
    workspace = load_workspace(SAMPLE)
    project = next(p for p in workspace.projects.values() if "website" in p.fields)
    url = field_type(project.fields["website"])
    context = FieldContext(workspace, project)
    assert url.problem("https://docs.atelier.example/propositions/a-b.pdf", context) is None
    assert url.problem("https://localhost", context) is None
    assert url.problem("example.com", context) == " (start it with https://)"
