"""Hostile input (issue 13, point 7): every bad value in tests/fixtures/broken/ goes through
every command that reads it, and each answers with a sentence and an exit code — never a
traceback. Records with recursive aliases, deep nesting, huge numbers and impossible file
paths; formulas and --where that overflow dates and numbers; a state file with a naive
moment; a CSV that is a BOM then binary; workbooks that declare XML entities or whose
<dimension> lies."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from .conftest import BASE_FILES, crm_in_process

BROKEN = Path(__file__).parent / "fixtures" / "broken"
RECORD = "opportunities/hostile"
ENV = {"CRM_USER": "alice", "CRM_NOW": "2026-11-23T09:00:00"}
SCHEMA = textwrap.dedent(BASE_FILES["opportunities/_project.yaml"]) + textwrap.indent(
    "contracts: {type: files}\n", "  "
)

# fixture → (what crm check says about it, whether the loader leaves the record out)
RECORDS = {
    "recursive-alias.yaml": ("the alias “*loop” is used inside the value it names", True),
    "recursive-alias-mapping.yaml": ("the alias “*self” is used inside the value it names", True),
    "deep-nesting.yaml": ("nesting depth", True),
    "huge-float.yaml": ("larger than any amount can be", False),
    "huge-integer.yaml": ("digits, larger than any amount can be", False),
    "huge-hex.yaml": ("a number of 5002 digits is longer than any value may be", True),
    "file-path-nul.yaml": ("is not a file path", False),
    "file-path-long.yaml": ("is longer than a file path may be", False),
}
READING = (
    ("show", RECORD),
    ("list", "opportunities"),
    ("list", "opportunities", "--format", "csv"),
    ("export", "opportunities", "--format", "csv"),
    ("export", "opportunities", "--format", "json"),
    ("fmt", "--check"),
)


def run(root: Path, *args: str):
    result = crm_in_process("-C", root, *args, env=ENV)
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    return result


@pytest.fixture
def hostile(workspace):
    def make(fixture: str) -> Path:
        return workspace(
            {
                "opportunities/_project.yaml": SCHEMA,
                RECORD + ".yaml": (BROKEN / fixture).read_bytes(),
            }
        )

    return make


@pytest.mark.parametrize("fixture", RECORDS, ids=list(RECORDS))
def test_every_command_answers_a_hostile_record_in_words(hostile, fixture):
    words, left_out = RECORDS[fixture]
    root = hostile(fixture)
    before = (root / (RECORD + ".yaml")).read_bytes()

    checked = run(root, "check")
    assert checked.returncode == 1
    assert f"{RECORD}.yaml:" in checked.stdout and words in checked.stdout

    for command in READING:
        result = run(root, *command)
        assert result.returncode in (0, 1, 2), (command, result.stderr)
        if left_out and command[0] in ("list", "export"):
            assert f"{RECORD} was left out" in result.stderr  # named, never dropped silently
    shown = run(root, "show", RECORD)
    assert shown.returncode == (2 if left_out else 0)

    edited = run(root, "set", RECORD, "lost_reason=Price")
    if left_out:  # refused, the file as it was: never a recursive value written back as null
        assert edited.returncode == 1 and "fix the file by hand first" in edited.stderr
        assert (root / (RECORD + ".yaml")).read_bytes() == before
    else:
        assert edited.returncode == 0, edited.stderr
        assert (root / (RECORD + ".yaml")).read_text(encoding="utf-8").count("amount") == (
            before.decode().count("amount")
        )


OVERFLOWING = {
    "date overflow": ("close_date + 99999999", "a date outside the years 1 to 9999", "TODAY()"),
    "date underflow": ("close_date - 99999999", "a date outside the years 1 to 9999", "TODAY()"),
    "number overflow": ("ROUND(amount * 1e308 * 10)", "a number too large to compute", "0"),
}


@pytest.mark.parametrize("case", OVERFLOWING, ids=list(OVERFLOWING))
def test_a_formula_that_overflows_is_an_unknown_value_and_a_problem(workspace, case):
    expression, words, other = OVERFLOWING[case]
    schema = (
        SCHEMA + f'  far: {{type: formula, expr: "{expression}"}}\n  close_date: {{type: date}}\n'
    )
    root = workspace(
        {
            "opportunities/_project.yaml": schema,
            "opportunities/acme-website.yaml": textwrap.dedent(
                BASE_FILES["opportunities/acme-website.yaml"]
            )
            + "close_date: 2026-12-01\n",
        }
    )
    checked = run(root, "check")
    assert checked.returncode == 1 and words in checked.stdout
    assert "opportunities/_project.yaml:" in checked.stdout
    shown = run(root, "show", "opportunities/acme-website")
    assert shown.returncode == 0
    assert run(root, "export", "opportunities", "--format", "json").returncode == 0
    where = run(root, "list", "opportunities", "--where", f"{expression} > {other}")
    assert where.returncode != 0 and words in where.stderr


def test_round_to_a_hundred_thousand_places_keeps_the_number(workspace):
    root = workspace()
    result = run(root, "list", "opportunities", "--where", "ROUND(amount, 100000) > 0")
    assert result.returncode == 0 and "acme-website" in result.stdout


def test_a_state_line_with_a_naive_moment_stops_remind_with_its_line(workspace):
    root = workspace(
        {
            "automations.yaml": """
                rules:
                  - name: Aging deal
                    on: schedule
                    project: opportunities
                    when: "max_days and days_in_list > max_days"
                    do: [{notify: assignee}]
            """,
            ".crm/automations-state.jsonl": (BROKEN / "state-naive-datetime.jsonl").read_bytes(),
        }
    )
    result = run(root, "remind")
    assert result.returncode == 1
    assert ".crm/automations-state.jsonl:1:" in result.stderr
    assert "no time zone" in result.stderr


@pytest.mark.parametrize(
    ("fixture", "words"),
    [
        ("bom-then-binary.csv", "binary data"),
        ("xml-entities.xlsx", "this workbook declares XML entities"),
    ],
)
def test_an_import_file_that_is_no_table_is_refused_in_words(workspace, fixture, words):
    root = workspace()
    result = run(root, "import", "opportunities", BROKEN / fixture)
    assert result.returncode == 1
    assert words in result.stderr and "nothing was imported" in result.stderr
    assert sorted(p.name for p in (root / "opportunities").iterdir()) == [
        "_project.yaml",
        "acme-website.yaml",
    ]


def test_a_workbook_whose_dimension_lies_is_read_to_its_last_row(tmp_path):
    from crmcli.transfer.readers import open_table

    table = open_table(BROKEN / "lying-dimension.xlsx")  # <dimension ref="A1:B2"/>, 6 rows
    assert [row.cells for row in table.rows()] == [[f"Deal {n}", str(n * 100)] for n in range(1, 6)]
    table.close()


def test_check_shows_control_characters_of_quoted_values_as_escapes(workspace):
    root = workspace(
        {
            RECORD
            + ".yaml": 'name: Hostile\nlist: Won\nclient: acme\nlost_reason: "\\e]0;pwned\\a\\e[2J"\n'
        }
    )
    result = run(root, "check")
    assert result.returncode == 1
    assert "\x1b" not in result.stdout and "\\x1b]0;pwned\\x07\\x1b[2J" in result.stdout
