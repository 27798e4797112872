"""Bad input (issue 3): each broken file gives one clear problem with its file, line and
column, in words a salesperson understands; no traceback, no hang, memory stays bounded.

The broken files live in tests/fixtures/broken/, one per case, and are copied into a small
workspace (tests/conftest.py) as an Opportunities record.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest

from crmcli.errors import Problem

from .conftest import BASE_FILES, Measured, check, crm, crm_measured, write_files

BROKEN = Path(__file__).parent / "fixtures" / "broken"

PROBLEM_LINE = re.compile(
    r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): "
    r"(?P<severity>error|warning)\[(?P<code>[a-z0-9-]+)\]: (?P<message>.+)$"
)

# Words of the YAML parser or of Python that mean nothing to a salesperson.
JARGON = ("scalar", "token", "stream", "node", "Traceback", "Error", "yaml.", "\\t")


def broken(name: str) -> bytes:
    return (BROKEN / name).read_bytes()


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based number of the line holding the occurrence-th `needle`."""
    lines = [n for n, line in enumerate(text.splitlines(), 1) if needle in line]
    return lines[occurrence - 1]


def only_problem(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


def assert_plain_words(message: str) -> None:
    assert message and message[0] != "<", message
    for word in JARGON:
        assert word not in message, f"{word!r} in {message!r}"


def opportunities_schema(extra_fields: str) -> str:
    """The base Opportunities schema with more fields (lines indented under `fields:`)."""
    base = textwrap.dedent(BASE_FILES["opportunities/_project.yaml"]).lstrip("\n")
    return base + textwrap.indent(textwrap.dedent(extra_fields).lstrip("\n"), "  ")


# malformed YAML


@pytest.mark.parametrize(
    "fixture", ["tab-indentation.yaml", "tab-indentation-nested.yaml"], ids=["list", "mapping"]
)
def test_tab_indentation_is_reported_at_the_tab(workspace, fixture):
    content = broken(fixture)
    root = workspace({f"opportunities/{fixture}": content})

    problem = only_problem(check(root).problems)

    assert problem.path == f"opportunities/{fixture}"
    assert (problem.line, problem.column) == (line_of(content.decode(), "\t"), 1)
    assert problem.is_error
    assert problem.code == "invalid-yaml"
    assert "tab" in problem.message
    assert "spaces" in problem.message
    assert_plain_words(problem.message)


def test_unclosed_quote_is_reported_where_the_quote_opens(workspace):
    content = broken("unclosed-quote.yaml").decode()
    root = workspace({"opportunities/unclosed-quote.yaml": content})

    problem = only_problem(check(root).problems)

    opened = line_of(content, '"')
    assert opened == 3  # not the first line, nor the last: the test tells the cases apart
    column = content.splitlines()[opened - 1].index('"') + 1
    assert (problem.path, problem.line, problem.column) == (
        "opportunities/unclosed-quote.yaml",
        opened,
        column,
    )
    assert problem.code == "invalid-yaml"
    assert problem.message == f"a quoted text opened on line {opened} is never closed"
    assert_plain_words(problem.message)


def test_duplicate_key_is_reported_at_its_second_occurrence(workspace):
    content = broken("duplicate-key.yaml").decode()
    root = workspace({"opportunities/duplicate-key.yaml": content})

    result = check(root)
    problem = only_problem(result.problems)

    assert problem.path == "opportunities/duplicate-key.yaml"
    assert (problem.line, problem.column) == (line_of(content, "amount:", occurrence=2), 1)
    assert problem.code == "duplicate-key"
    assert "“amount” appears twice" in problem.message
    assert_plain_words(problem.message)
    # the record is still read (with the last value), so its other fields are checked too
    assert (
        result.workspace.projects["opportunities"].records["duplicate-key"].data["amount"] == 15000
    )


def test_top_level_list_instead_of_a_mapping(workspace):
    root = workspace({"opportunities/top-level-list.yaml": broken("top-level-list.yaml")})

    result = check(root)
    problem = only_problem(result.problems)

    assert (problem.path, problem.line, problem.column) == (
        "opportunities/top-level-list.yaml",
        1,
        1,
    )
    assert problem.code == "not-a-mapping"
    assert "holds a list, not a mapping of fields" in problem.message
    assert "top-level-list" not in result.workspace.projects["opportunities"].records


@pytest.mark.parametrize(
    "content",
    [broken("empty.yaml"), b"\n\n", b"# to be filled in\n"],
    ids=["empty", "blank", "comment"],
)
def test_empty_file(workspace, content):
    root = workspace({"opportunities/empty.yaml": content})

    problem = only_problem(check(root).problems)

    assert (problem.path, problem.line, problem.column) == ("opportunities/empty.yaml", 1, 1)
    assert problem.code == "empty-file"
    assert "the file is empty" in problem.message


def test_non_utf8_file_is_reported_at_the_bad_byte(workspace):
    text = "name: Acme — Support\nlist: Lead\nclient: acme\ndescription: naïve résumé\n"
    content = text.replace("—", "-").encode("cp1252")  # what a Windows editor saves
    root = workspace({"opportunities/cp1252.yaml": content})

    result = check(root)
    problem = only_problem(result.problems)

    assert problem.path == "opportunities/cp1252.yaml"
    assert problem.line == 4
    assert problem.column == len("description: na") + 1  # the ï, not the é after it
    assert problem.code == "not-utf8"
    assert "not UTF-8" in problem.message
    assert "0xef" in problem.message  # ï in cp1252
    assert "cp1252" not in result.workspace.projects["opportunities"].records


# files too big to read: refused fast, in a subprocess whose peak memory is measured


def measured_check(root: Path, timeout: float = 20) -> Measured:
    """`crm -C root check` in a subprocess, with its wall time and its own peak RSS."""
    return crm_measured("-C", root, "check", cwd=root, timeout=timeout)


needs_proc = pytest.mark.skipif(
    not Path("/proc/self/status").exists(), reason="peak memory is read from /proc (Linux)"
)


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory) -> Measured:
    """The same check on the clean base workspace: what the bad cases are measured against."""
    root = write_files(tmp_path_factory.mktemp("clean"), BASE_FILES)
    run = measured_check(root)
    assert run.returncode == 0, run.stdout + run.stderr
    return run


@needs_proc
def test_alias_bomb_is_refused_fast_with_bounded_memory(workspace, clean_run):
    content = broken("alias-bomb.yaml").decode()
    root = workspace({"opportunities/alias-bomb.yaml": content})

    run = measured_check(root)

    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    lines = run.stdout.splitlines()
    assert len(lines) == 1, run.stdout[:2000]
    match = PROBLEM_LINE.match(lines[0])
    assert match, lines[0]
    assert match["path"] == "opportunities/alias-bomb.yaml"
    assert match["code"] == "alias-bomb"
    assert "refusing to load it" in match["message"]
    # it points at the alias where the expansion goes over the limit
    bad_line = content.splitlines()[int(match["line"]) - 1]
    assert bad_line[int(match["col"]) - 1] == "*", bad_line
    assert run.seconds < clean_run.seconds + 3
    assert run.peak_mb < clean_run.peak_mb + 30


@needs_proc
@pytest.mark.slow
def test_50_mb_record_is_refused_without_reading_it(workspace, clean_run):
    root = workspace()
    huge = root / "opportunities" / "huge.yaml"
    item = "  - {item: call the client back about the proposal, done: false}\n"
    with huge.open("w", encoding="utf-8") as out:  # a valid record: only its size is wrong
        out.write("name: Huge deal\nlist: Lead\nclient: acme\nchecklist:\n")
        while out.tell() < 50 * 1024 * 1024:
            out.write(item * 10_000)

    run = measured_check(root)

    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    size_mb = huge.stat().st_size / 1e6
    assert size_mb > 50
    assert run.stdout.splitlines() == [
        f"opportunities/huge.yaml:1:1: error[file-too-large]: "
        f"file is {size_mb:.1f} MB; the limit is 1.0 MB"
    ]
    # parsing it would take minutes and gigabytes; even reading its bytes would cost 50 MB
    assert run.seconds < clean_run.seconds + 3
    assert run.peak_mb < clean_run.peak_mb + 30
    assert run.peak_mb < 300


# references


def test_dangling_reference_suggests_the_close_id(workspace):
    root = workspace(
        {
            "clients/globex.yaml": "name: Globex\nlist: Clients\n",
            "opportunities/typo.yaml": "name: Acme — SEO\nlist: Lead\nclient: acmee\n",
        }
    )

    problem = only_problem(check(root).problems)

    assert (problem.path, problem.line, problem.column) == ("opportunities/typo.yaml", 3, 1)
    assert problem.code == "dangling-reference"
    assert problem.message.startswith("Deal “Acme — SEO”: client refers to “acmee”")
    assert "no such Company in Clients" in problem.message
    assert problem.message.endswith("(did you mean “acme”?)")


def test_dangling_reference_without_a_close_id_has_no_hint(workspace):
    root = workspace({"opportunities/typo.yaml": "name: Acme — SEO\nlist: Lead\nclient: initech\n"})

    problem = only_problem(check(root).problems)

    assert (problem.path, problem.line, problem.code) == (
        "opportunities/typo.yaml",
        3,
        "dangling-reference",
    )
    assert "“initech”" in problem.message
    assert "did you mean" not in problem.message


def test_reference_to_the_wrong_project_says_so(workspace):
    # acme-website is a deal id: the author meant its client
    root = workspace(
        {
            "opportunities/upsell.yaml": "name: Acme — Upsell\nlist: Lead\namount: 3000\nclient: acme-website\n"
        }
    )

    problem = only_problem(check(root).problems)

    assert (problem.path, problem.line, problem.column) == ("opportunities/upsell.yaml", 4, 1)
    assert problem.code == "dangling-reference"
    assert "“acme-website”" in problem.message
    assert "there is a Deal with that id in Opportunities: wrong project?" in problem.message


# formulas


def test_formula_cycle_is_reported_at_each_field_of_the_cycle(workspace):
    schema = opportunities_schema(
        """
        margin: {type: formula, expr: "markup / 2"}
        markup: {type: formula, expr: "margin * 2"}
        """
    )
    root = workspace({"opportunities/_project.yaml": schema})

    result = check(root)

    assert len(result.problems) == 2, "\n".join(map(str, result.problems))
    located = {(p.path, p.line, p.column) for p in result.problems}
    assert located == {
        ("opportunities/_project.yaml", line_of(schema, "  margin:"), 3),
        ("opportunities/_project.yaml", line_of(schema, "  markup:"), 3),
    }
    for problem in result.problems:
        assert problem.code == "cycle"
        assert "depend on each other in a cycle" in problem.message
        assert "margin" in problem.message
        assert "markup" in problem.message
    # the other formulas still work, and the records raise no problem of their own
    deal = result.workspace.projects["opportunities"].records["acme-website"]
    assert deal.computed["profit"] == 5000


def test_unknown_function_is_reported_at_the_schema_line_with_a_hint(workspace):
    schema = opportunities_schema('rounded: {type: formula, expr: "ROUNDD(amount - cost, 0)"}\n')
    root = workspace({"opportunities/_project.yaml": schema})

    problem = only_problem(check(root).problems)

    assert (problem.path, problem.line, problem.column) == (
        "opportunities/_project.yaml",
        line_of(schema, "rounded:"),
        3,
    )
    assert problem.code == "unknown-function"
    assert "ROUNDD" in problem.message
    assert "(did you mean “ROUND”?)" in problem.message
    assert_plain_words(problem.message)


# files and folders


def test_record_in_a_folder_without_project_schema(workspace):
    root = workspace(
        {
            "leads/bob-martin.yaml": "name: Bob Martin\n",
            "leads/carol-diaz.yaml": "name: Carol Diaz\n",
        }
    )

    result = check(root)
    problem = only_problem(result.problems)

    assert (problem.path, problem.line, problem.column) == ("leads/bob-martin.yaml", 1, 1)
    assert problem.code == "missing-project-schema"
    assert "folder “leads” holds 2 record files but no _project.yaml" in problem.message
    assert "leads/_project.yaml" in problem.message
    assert "leads" not in result.workspace.projects


# values


def test_impossible_date_is_reported_on_the_field(workspace):
    root = workspace(
        {
            "opportunities/_project.yaml": opportunities_schema("close_date: {type: date}\n"),
            "opportunities/leap.yaml": "name: Acme — Leap\nlist: Lead\nclient: acme\nclose_date: 2025-02-30\namount: 100\n",
        }
    )

    problem = only_problem(check(root).problems)

    assert (problem.path, problem.line, problem.column) == ("opportunities/leap.yaml", 4, 1)
    assert problem.code == "invalid-date"
    assert problem.message.startswith(
        "Deal “Acme — Leap”: close date “2025-02-30” is not a valid date"
    )
    assert "YYYY-MM-DD" in problem.message


def test_on_and_no_stay_text(workspace):
    """YAML 1.2 scalars: `on`, `no`, `NO` (Norway) and `off` are text, not booleans."""
    schema = opportunities_schema(
        """
        country: {type: text}
        reply: {type: select, options: [yes, no, later]}
        switch: {type: select, options: [on, off]}
        """
    )
    record = "name: Fjord AS\nlist: Lead\nclient: acme\ncountry: NO\nreply: no\nswitch: on\n"
    root = workspace({"opportunities/_project.yaml": schema, "opportunities/fjord.yaml": record})

    result = check(root)

    assert result.problems == []
    data = result.workspace.projects["opportunities"].records["fjord"].data
    assert (data["country"], data["reply"], data["switch"]) == ("NO", "no", "on")


def test_on_is_not_a_checkbox_value(workspace):
    root = workspace(
        {
            "opportunities/_project.yaml": opportunities_schema("vip: {type: checkbox}\n"),
            "opportunities/vip.yaml": "name: Acme — VIP\nlist: Lead\nclient: acme\nvip: on\n",
        }
    )

    problem = only_problem(check(root).problems)

    assert (problem.path, problem.line, problem.column) == ("opportunities/vip.yaml", 4, 1)
    assert problem.code == "wrong-type"
    assert problem.message == "Deal “Acme — VIP”: vip must be true or false, not “on”"


# one run, every problem


def test_one_run_reports_problems_from_several_files(workspace):
    root = workspace(
        {
            "clients/list.yaml": broken("top-level-list.yaml"),
            "opportunities/duplicate-key.yaml": broken("duplicate-key.yaml"),
            "opportunities/tab.yaml": broken("tab-indentation.yaml"),
            "opportunities/cp1252.yaml": "name: Café\n".encode("cp1252"),
            "opportunities/typo.yaml": "name: Typo\nlist: Lead\nclient: acmee\n",
            "leads/bob.yaml": "name: Bob\n",
        }
    )

    result = check(root)

    found = sorted((p.path, p.line, p.code) for p in result.problems)
    assert found == [
        ("clients/list.yaml", 1, "not-a-mapping"),
        ("leads/bob.yaml", 1, "missing-project-schema"),
        ("opportunities/cp1252.yaml", 1, "not-utf8"),
        ("opportunities/duplicate-key.yaml", 6, "duplicate-key"),
        ("opportunities/tab.yaml", 5, "invalid-yaml"),
        ("opportunities/typo.yaml", 3, "dangling-reference"),
    ]
    # the good records around the broken ones are still loaded and computed
    projects = result.workspace.projects
    assert "acme" in projects["clients"].records
    assert projects["opportunities"].records["acme-website"].computed["profit"] == 5000


# the real command line


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {"opportunities/unclosed-quote.yaml": broken("unclosed-quote.yaml")},
            "opportunities/unclosed-quote.yaml:3:14: error[invalid-yaml]: "
            "a quoted text opened on line 3 is never closed",
        ),
        (
            {"opportunities/duplicate-key.yaml": broken("duplicate-key.yaml")},
            "opportunities/duplicate-key.yaml:6:1: error[duplicate-key]: "
            "“amount” appears twice in the same mapping; only the last value would count",
        ),
        (
            {"opportunities/cp1252.yaml": "list: Lead\nname: Société Générale\n".encode("cp1252")},
            "opportunities/cp1252.yaml:2:11: error[not-utf8]: "
            "file is not UTF-8 text (byte 0xe9); save it as UTF-8",
        ),
        (
            {"leads/bob.yaml": "name: Bob\n"},
            "leads/bob.yaml:1:1: error[missing-project-schema]: folder “leads” holds 1 record "
            "file but no _project.yaml: it is not part of any project "
            "(add leads/_project.yaml to declare it)",
        ),
    ],
    ids=["unclosed-quote", "duplicate-key", "not-utf8", "no-project-schema"],
)
def test_cli_text_format(workspace, files, expected):
    root = workspace(files)

    run = crm("-C", root, "check", cwd=root)

    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert run.stdout.splitlines() == [expected]
    assert PROBLEM_LINE.match(expected)
    assert "1 error, 0 warnings" in run.stderr


def test_cli_json_format(workspace):
    root = workspace({"opportunities/tab.yaml": broken("tab-indentation.yaml")})

    run = crm("-C", root, "check", "--format", "json", cwd=root)

    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert json.loads(run.stdout) == [
        {
            "path": "opportunities/tab.yaml",
            "file": "opportunities/tab.yaml",
            "line": 5,
            "column": 1,
            "severity": "error",
            "code": "invalid-yaml",
            "message": "a tab character is used for indentation; YAML needs spaces",
        }
    ]


def test_cli_github_format(workspace):
    root = workspace({"opportunities/typo.yaml": "name: Typo, Inc.\nlist: Lead\nclient: acmee\n"})

    run = crm("-C", root, "check", "--format", "github", cwd=root)

    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert run.stdout.splitlines() == [
        "::error file=opportunities/typo.yaml,line=3,col=1,title=dangling-reference::"
        "Deal “Typo, Inc.”: client refers to “acmee”, but there is no such Company in Clients "
        "(did you mean “acme”?)"
    ]


def test_broken_project_schema_is_one_problem_not_a_cascade(workspace):
    """Other projects refer to the broken one; they must not report it as missing."""
    root = workspace({"clients/_project.yaml": "name: Clients\n\tlists: [Clients]\n"})
    result = check(root)
    assert [(p.path, p.line, p.code) for p in result.problems] == [
        ("clients/_project.yaml", 2, "invalid-yaml")
    ]
    assert result.workspace.unreadable_projects == {"clients"}
