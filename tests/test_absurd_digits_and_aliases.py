"""Issue 13 point 2/7: `ROUND(x, digits)` with absurd digits gives a sensible number at once
(digits are clamped to ±28, a Decimal's precision), and a recursive YAML alias in
automations.yaml or a dashboard is a problem at its line, as in records — never a hang."""

from __future__ import annotations

import time

import pytest

from .conftest import check, crm
from .test_formulas import run

ENDLESS = {
    "automations.yaml": "rules:\n  - name: Loop\n    on: schedule\n    project: opportunities\n    do: &a\n      - notify: *a\n",
    "dashboards/loop.yaml": "title: Loop\nwidgets: &w\n  - *w\n",
}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("ROUND(1234.5678, 100000)", 1234.5678),
        ("ROUND(1234.5678, 28)", 1234.5678),
        ("ROUND(1234.5678, -100000)", 0),
        ("ROUND(98765, -28)", 0),
        ("ROUND(1e20, -100000)", 0),
    ],
)
def test_round_with_absurd_digits_is_quick_and_sensible(source, expected):
    started = time.monotonic()
    result = run(source)
    assert result == expected and len(str(result)) < 40
    assert time.monotonic() - started < 1


@pytest.mark.parametrize("path", ENDLESS)
def test_a_recursive_alias_in_a_configuration_file_is_a_problem_at_its_line(workspace, path):
    root = workspace({path: ENDLESS[path]})
    [problem] = [p for p in check(root).problems if p.code == "recursive-alias"]
    assert problem.path == path
    assert problem.line == ENDLESS[path].count("\n")  # the line of the alias
    remind = crm("-C", root, "remind", "--dry-run")
    assert remind.returncode == (1 if path == "automations.yaml" else 0)
    assert "Traceback" not in remind.stderr
