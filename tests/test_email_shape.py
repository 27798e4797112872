"""An `email` field's plain addresses are judged by one regular expression instead of by
email_validator (fields/contact.py): every address of that shape is one it accepts, and an
address of another shape, or on a special-use domain, is still asked of it."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from crmcli.fields.contact import _PLAIN_EMAIL, PLAIN_EMAIL_MAX, email_problem, plainly_valid_email


def parts(pattern: str) -> st.SearchStrategy[str]:
    return st.from_regex(pattern, fullmatch=True)


# addresses of the plain shape, and some on special-use domains (drawn by parts: drawing
# the whole expression and keeping the short ones takes minutes)
LABEL = r"[a-z0-9]{1,6}(?:-[a-z0-9]{1,6})?"
TOP = st.one_of(parts(r"[a-z]{2,6}"), st.sampled_from(["test", "local", "onion", "arpa"]))
PLAIN = st.builds(
    lambda local, labels, top: f"{local}@{'.'.join([*labels, top])}",
    parts(r"[a-z0-9]{1,8}(?:[._-][a-z0-9]{1,8}){0,2}"),
    st.lists(parts(LABEL), min_size=1, max_size=3),
    TOP,
)


def accepted(value: str) -> bool:
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


@settings(max_examples=1000, deadline=None, derandomize=True)
@given(PLAIN)
def test_every_plain_address_it_takes_is_one_email_validator_accepts(value: str) -> None:
    assume(len(value) <= PLAIN_EMAIL_MAX)
    assert _PLAIN_EMAIL.fullmatch(value)
    if plainly_valid_email(value):
        assert accepted(value)
    else:  # only a special-use domain is left to email_validator, which refuses it
        assert not accepted(value)


def test_the_addresses_it_leaves_to_email_validator() -> None:
    left = {
        "julien.roche@adam-batiment-montreuil.fr": True,  # plain: taken here
        "Julien.Roche@Example.fr": True,  # capitals
        "a+b@example.fr": True,  # a plus
        "élodie@exemple.fr": True,  # beyond ASCII
        "someone@shop.test": False,  # special-use domains
        "someone@printer.local": False,
        "someone@localhost": False,
        "a..b@example.fr": False,
        "ab--cd@example.fr": True,  # two dashes before the @
        "x@ab--cd.fr": False,
        "a" * 65 + "@example.fr": True,  # long
    }
    assert plainly_valid_email("julien.roche@adam-batiment-montreuil.fr")
    for value, valid in left.items():
        if value != "julien.roche@adam-batiment-montreuil.fr":
            assert not plainly_valid_email(value), value
        assert accepted(value) is valid, value
        assert (email_problem(value) is None) is valid, value
