"""The scan that sends a file to PyYAML skips a pattern whose leading character is not in
the text (core/fast_yaml.py): sound only if every match of the pattern begins with it."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from crmcli.core.fast_yaml import _ANYWHERE, _ANYWHERE_LED

YAMLISH = st.text(alphabet=st.sampled_from(list("ab0x1_-+.:,[]{}|>#&*!?@`='\"\\\t \n")))


def test_each_pattern_has_its_leading_character() -> None:
    assert [pattern for _char, pattern in _ANYWHERE_LED] == list(_ANYWHERE)
    assert all(len(char) == 1 for char, pattern in _ANYWHERE_LED if pattern.pattern[0] != "[")


@settings(max_examples=2000, deadline=None, derandomize=True)
@given(YAMLISH)
def test_every_match_begins_with_the_leading_character(text: str) -> None:
    for char, pattern in _ANYWHERE_LED:
        for match in pattern.finditer(text):
            assert not char or text[match.start()] == char
