"""Bad dashboards and bad `crm dashboard` command lines: each is reported with its file and
line (or a clear message), exits non-zero, and writes nothing."""

from __future__ import annotations

import subprocess

import pytest

from .conftest import check, crm

NOW = {"CRM_NOW": "2026-11-23T12:00:00+01:00"}
GOOD = "title: Test\nwidgets:\n  - {type: stat, title: Deals, project: opportunities}\n"


def widget(text: str, head: str = "title: Test\n") -> str:
    return f"{head}widgets:\n  - {text}\n"


CASES = [
    # (dashboard, code, line, words in the message)
    (
        widget("{type: stat, title: X, project: opportunites}"),
        "unknown-project",
        3,
        "did you mean “opportunities”",
    ),
    (
        widget("{type: stat, title: X}", head="title: T\nfilters: {projects: [clints]}\n"),
        "unknown-project",
        2,
        "did you mean “clients”",
    ),
    (
        widget("{type: stat, title: X, project: opportunities, measure: sum(amout)}"),
        "unknown-name",
        3,
        "did you mean “amount”",
    ),
    (
        widget("{type: stat, title: X, project: opportunities, measure: sum(name)}"),
        "type-error",
        3,
        "not a number",
    ),
    (
        widget("{type: stat, title: X, project: opportunities, lists: [Wom]}"),
        "unknown-list",
        3,
        "did you mean “Won”",
    ),
    (
        widget("{type: stat, title: X, project: opportunities, tags: [sao]}"),
        "unknown-tag",
        3,
        "did you mean “seo”",
    ),
    (
        widget("{type: stat, title: X, project: opportunities, measure: 'conversion(Lead, Wun)'}"),
        "unknown-list",
        3,
        "no list “Wun”",
    ),
    (
        widget("{type: pie, title: X, project: opportunities, by: stage}"),
        "unknown-name",
        3,
        "unknown field “stage”",
    ),
    (
        widget("{type: bar, title: X, project: opportunities, by: month(amount)}"),
        "not-a-date",
        3,
        "“amount” is not a date",
    ),
    (
        widget("{type: stat, title: X, project: opportunities, where: 'amount >'}"),
        None,
        3,
        "widget “X”: Opportunities:",
    ),
    (
        widget("{type: bar, title: X, project: opportunities, by: list, stacked: true}"),
        "stacked-without-series",
        3,
        "add series:",
    ),
    (
        widget("{type: stat, title: X, project: opportunities, measure: velocity}"),
        "bad-measure",
        3,
        "not a stat",
    ),
    (
        widget("{type: table, title: X, project: opportunities}"),
        "table-shape",
        3,
        "needs by:",
    ),
    (
        widget("{type: pie, title: X, project: opportunities, by: list, sort: amount}"),
        "bad-sort",
        3,
        "not “amount”",
    ),
    (
        widget(
            "{type: stat, title: X, project: opportunities, period: {from: 2026-05-01, to: 2026-01-01}}"
        ),
        "bad-period",
        3,
        "starts (2026-05-01) after it ends",
    ),
    (
        widget("{type: stat, title: X, project: opportunities, projects: [clients]}"),
        "project-and-projects",
        3,
        "not both",
    ),
    (
        widget("{type: stat, title: X, project: clients, measure: win_rate}"),
        "no-won-list",
        3,
        "outcome: won",
    ),
    (widget("{type: stat, title: X}"), "no-project", 3, "which project?"),
    (widget("{type: pie, title: X, project: opportunities}"), "no-grouping", 3, "needs by:"),
    (
        widget("{type: stat, title: X, project: opportunities, colour: red}"),
        "config-schema",
        3,
        "unknown key “colour”",
    ),
    (
        widget("{type: stat, title: X, project: opportunities, measure: total(amount)}"),
        "config-schema",
        3,
        "is not valid here",
    ),
    (
        widget(
            "{type: stat, title: X, project: opportunities}",
            head="title: T\nfilters: {where: 'budget > 1'}\n",
        ),
        "unknown-name",
        2,
        "unknown field “budget”",
    ),
]


@pytest.mark.parametrize(("text", "code", "line", "words"), CASES)
def test_check_reports_a_bad_dashboard_at_its_line(workspace, text, code, line, words):
    result = check(workspace({"dashboards/test.yaml": text}))
    found = [p for p in result.problems if p.path == "dashboards/test.yaml"]
    assert found, result.problems
    problem = found[0]
    assert (problem.line, problem.is_error) == (line, True)
    assert code is None or problem.code == code
    assert words in problem.message


def test_a_project_whose_schema_is_broken_is_not_called_unknown(workspace):
    root = workspace(
        {
            "clients/_project.yaml": "name: [unclosed\n",
            "dashboards/test.yaml": widget("{type: stat, title: X, project: clients}"),
        }
    )
    result = check(root)
    assert any(p.path == "clients/_project.yaml" for p in result.problems)
    assert [p for p in result.problems if p.path == "dashboards/test.yaml"] == []


def test_crm_check_prints_the_problem_with_file_and_line(workspace):
    root = workspace({"dashboards/test.yaml": CASES[2][0]})
    result = crm("-C", root, "check", cwd=root)
    assert result.returncode == 1
    assert "dashboards/test.yaml:3:" in result.stdout and "amout" in result.stdout


# crm dashboard


def test_unknown_dashboard_name(workspace):
    root = workspace({"dashboards/sales.yaml": GOOD})
    result = crm("-C", root, "dashboard", "sale")
    assert result.returncode == 2
    assert "no dashboard “sale”" in result.stderr and "did you mean “sales”" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_dashboard_with_problems_is_refused_and_the_last_report_kept(workspace, tmp_path):
    root = workspace({"dashboards/test.yaml": GOOD})
    out = tmp_path / "out"
    assert crm("-C", root, "dashboard", "test", "--out", out, env=NOW).returncode == 0
    before = (out / "test.html").read_bytes()
    (root / "dashboards/test.yaml").write_text(CASES[2][0], encoding="utf-8")
    result = crm("-C", root, "dashboard", "test", "--out", out, env=NOW)
    assert result.returncode == 1
    assert "dashboards/test.yaml:3:" in result.stderr and "nothing was written" in result.stderr
    assert (out / "test.html").read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == ["test.html", "test.png"]


def test_an_unreadable_dashboard_file(workspace, tmp_path):
    root = workspace({"dashboards/test.yaml": "title: Test\nwidgets:\n\t- {type: stat}\n"})
    result = crm("-C", root, "dashboard", "test", "--out", tmp_path / "out")
    assert result.returncode == 1
    assert "dashboards/test.yaml:3:" in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("option", "words"),
    [
        (["--period", "last quarter-ish"], "is not a period"),
        (["--period", "2026-05-01..2026-01-01"], "is not a period"),
        (["--role", "juniro"], "did you mean “junior”"),
        (["--tag", "sea"], "did you mean “seo”"),
    ],
)
def test_bad_options_are_usage_errors(workspace, tmp_path, option, words):
    root = workspace({"dashboards/test.yaml": GOOD})
    result = crm("-C", root, "dashboard", "test", *option, "--out", tmp_path / "out")
    assert result.returncode == 2, result.stderr
    assert words in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_out_must_be_a_folder(workspace, tmp_path):
    root = workspace({"dashboards/test.yaml": GOOD})
    target = tmp_path / "report.html"
    target.write_text("mine", encoding="utf-8")
    result = crm("-C", root, "dashboard", "test", "--out", target, env=NOW)
    assert result.returncode == 1 and "is a file, not a folder" in result.stderr
    assert target.read_text(encoding="utf-8") == "mine"


def test_as_of_a_date_needs_git(workspace):
    root = workspace({"dashboards/test.yaml": GOOD})
    result = crm("-C", root, "dashboard", "test", "--as-of", "2026-01-01")
    assert result.returncode == 1 and "not in a git repository" in result.stderr


@pytest.fixture
def repository(workspace):
    root = workspace({"dashboards/test.yaml": GOOD})
    when = {"GIT_AUTHOR_DATE": "2026-03-01T10:00:00Z", "GIT_COMMITTER_DATE": "2026-03-01T10:00:00Z"}
    for args in (
        ["init", "-q"],
        ["add", "-A"],
        ["-c", "user.email=a@b.example", "-c", "user.name=A", "commit", "-q", "-m", "start"],
    ):
        subprocess.run(
            ["git", "-C", str(root), *args],
            check=True,
            env={**NOW, **when, "PATH": "/usr/bin:/bin"},
        )
    return root


def test_as_of_an_unknown_revision(repository):
    result = crm("-C", repository, "dashboard", "test", "--as-of", "v9.9")
    assert result.returncode == 1 and "unknown revision “v9.9”" in result.stderr


def test_as_of_a_day_before_the_first_commit(repository):
    result = crm("-C", repository, "dashboard", "test", "--as-of", "2026-02-01")
    assert result.returncode == 1 and "no commit on or before that day" in result.stderr
