"""The `crm` command line: check, show, list, schema export — run as a real subprocess."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from .conftest import crm, plain

PROBLEM_LINE = re.compile(
    r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<severity>error|warning)\[(?P<code>[a-z0-9-]+)\]: .+$"
)


def test_check_clean_workspace_exits_zero(workspace):
    root = workspace()
    run = crm("-C", root, "check")
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout == ""
    assert "2 records in 2 projects: 0 errors, 0 warnings" in run.stderr


def test_check_reports_errors_in_text_format_and_exits_one(workspace):
    root = workspace(
        {"opportunities/bad.yaml": "name: Bad deal\nlist: Lead\nclient: acme\namount: lots\n"}
    )
    run = crm("-C", root, "check")
    assert run.returncode == 1
    lines = run.stdout.splitlines()
    assert len(lines) == 1
    match = PROBLEM_LINE.match(lines[0])
    assert match, lines[0]
    assert match["path"].endswith("opportunities/bad.yaml")
    assert (match["line"], match["col"], match["code"]) == ("4", "1", "wrong-type")
    assert "Deal “Bad deal”: amount must be an amount of money, not “lots”" in lines[0]
    assert "Traceback" not in run.stderr


def test_check_json_format(workspace):
    root = workspace({"clients/acme.yaml": "name: Acme\nlist: Clients\nemail: not-an-email\n"})
    run = crm("-C", root, "check", "--format", "json")
    assert run.returncode == 1
    problems = json.loads(run.stdout)
    assert [p["code"] for p in problems] == ["invalid-email"]
    assert problems[0]["path"] == "clients/acme.yaml"
    assert problems[0]["line"] == 3
    assert problems[0]["severity"] == "error"


def test_check_github_annotations_escape_messages(workspace):
    root = workspace({"clients/acme.yaml": "name: Acme\nlist: Clients\nregion: Paaris\n"})
    run = crm("-C", root, "check", "--format", "github")
    assert run.returncode == 1
    (annotation,) = run.stdout.splitlines()
    assert annotation.startswith("::error file=")
    assert ",line=3,col=1,title=unknown-option::" in annotation
    assert "did you mean “Paris”" in annotation


def test_warnings_fail_only_with_strict(workspace):
    root = workspace({"clients/Acme Two.yaml": "name: Acme Two\nlist: Clients\n"})
    assert crm("-C", root, "check").returncode == 0
    strict = crm("-C", root, "check", "--strict")
    assert strict.returncode == 1
    assert "warning[bad-id]" in strict.stdout


def test_usage_errors_exit_two(workspace, tmp_path):
    root = workspace()
    assert crm("-C", root, "check", "--format", "xml").returncode == 2
    assert crm("-C", root, "check", "--no-such-option").returncode == 2
    missing = crm("-C", tmp_path / "nowhere", "check")
    assert missing.returncode == 2
    assert "not a crm workspace" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_workspace_is_found_upward_and_from_environment(workspace, tmp_path):
    root = workspace()
    inner = root / "opportunities"
    assert crm("check", cwd=inner).returncode == 0
    assert crm("check", cwd=tmp_path, env={"CRM_WORKSPACE": str(root)}).returncode == 0
    outside = crm("check", cwd=tmp_path)
    assert outside.returncode == 2
    assert "no crm workspace here" in outside.stderr


def test_show_prints_stored_computed_fields_and_backlinks(workspace):
    root = workspace()
    run = crm("-C", root, "show", "opportunities/acme-website", env={"CRM_USER": "alice"})
    assert run.returncode == 0, run.stderr
    shown = plain(run.stdout)
    assert "Deal “Acme — Website”" in shown
    assert "12 000,00 €" in shown  # amount in fr_FR
    assert re.search(r"profit\s+5 000,00 €\s+computed", shown)
    assert "contact@acme.example" in shown  # lookup

    client = plain(crm("-C", root, "show", "clients/acme").stdout)
    assert "opportunities/acme-website" in client  # backlink
    assert re.search(r"won total\s+12 000,00 €", client)


def test_show_json_includes_computed_values(workspace):
    root = workspace()
    data = json.loads(crm("-C", root, "show", "clients/acme", "--format", "json").stdout)
    assert data["fields"]["won_total"] == 12000
    assert data["fields"]["opportunities"] == ["acme-website"]
    assert data["referenced_by"] == [
        {"project": "opportunities", "id": "acme-website", "field": "client"}
    ]


def test_show_unknown_record_suggests_a_close_id(workspace):
    root = workspace()
    run = crm("-C", root, "show", "opportunities/acme-websit")
    assert run.returncode == 2
    assert "did you mean “acme-website”" in run.stderr
    assert crm("-C", root, "show", "deals/acme").returncode == 2
    assert crm("-C", root, "show", "no-slash").returncode == 2


LIST_FILES = {
    "opportunities/big.yaml": "name: Big deal\nlist: Proposal sent\nclient: acme\namount: 50000\ncost: 20000\n",
    "opportunities/small.yaml": "name: Small deal\nlist: Lead\nclient: acme\namount: 900\n",
    "opportunities/lost.yaml": "name: Lost deal\nlist: Lost\nclient: acme\namount: 3000\nlost_reason: Price\n",
}


def test_list_filters_sorts_and_picks_columns(workspace):
    root = workspace(LIST_FILES)
    run = crm(
        "-C",
        root,
        "list",
        "opportunities",
        "--where",
        "outcome == 'open' or amount > 10000",
        "--sort",
        "-amount",
        "--columns",
        "id,amount,profit",
        "--format",
        "json",
        env={"CRM_USER": "alice"},
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == [
        {"id": "big", "amount": 50000, "profit": 30000},
        {"id": "acme-website", "amount": 12000, "profit": 5000},
        {"id": "small", "amount": 900, "profit": None},
    ]


def test_list_csv_and_table(workspace):
    root = workspace(LIST_FILES)
    rows = list(
        csv.reader(
            io.StringIO(
                crm("-C", root, "list", "opportunities", "--sort", "name", "--format", "csv").stdout
            )
        )
    )
    assert rows[0] == ["id", "name", "list", "assignee"]
    assert [r[1] for r in rows[1:]] == ["Acme — Website", "Big deal", "Lost deal", "Small deal"]
    table = plain(
        crm(
            "-C",
            root,
            "list",
            "opportunities",
            "--columns",
            "name,amount",
            "--sort",
            "-amount",
            "-n",
            "1",
        ).stdout
    )
    assert "Big deal" in table and "50 000,00 €" in table and "Small deal" not in table


def test_list_bad_where_is_a_usage_error(workspace):
    root = workspace()
    unknown = crm("-C", root, "list", "opportunities", "--where", "amout > 3")
    assert unknown.returncode == 2
    assert "did you mean “amount”" in unknown.stderr
    syntax = crm("-C", root, "list", "opportunities", "--where", "amount >")
    assert syntax.returncode == 2
    assert "Traceback" not in syntax.stderr
    assert crm("-C", root, "list", "opportunities", "--sort", "nope").returncode == 2


@pytest.mark.parametrize("project", ["clients", "opportunities"])
def test_exported_schema_validates_record_files(workspace, project):
    from jsonschema import Draft202012Validator

    from crmcli.core.yamlio import jsonable, read_yaml

    root = workspace()
    run = crm("-C", root, "schema", "export", "--vscode")
    assert run.returncode == 0, run.stderr
    mapping = json.loads(run.stdout)["yaml.schemas"]
    schema_file = root / ".crm" / "schema" / f"{project}.schema.json"
    assert mapping[".crm/schema/" + schema_file.name] == [
        f"{project}/*.yaml",
        f"!{project}/_project.yaml",
    ]
    settings = json.loads((root / ".vscode" / "settings.json").read_text())
    assert settings["yaml.schemas"] == mapping
    validator = Draft202012Validator(json.loads(schema_file.read_text()))
    for path in (root / project).glob("[!_]*.yaml"):
        assert list(validator.iter_errors(jsonable(read_yaml(path).data))) == []
    broken = {"name": "X", "list": "Nope", "unknown_key": 1}
    messages = [e.message for e in validator.iter_errors(broken)]
    assert any("Nope" in m for m in messages)
    assert any("unknown_key" in m for m in messages)
