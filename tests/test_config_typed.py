"""Typed configuration (issue “One core”, point 5 and “Bad input”): a broken value in crm.yaml
or a _project.yaml is one problem at its line in `crm check`, and every other command either
works with the safe default or stops with a clear message, never with a traceback."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crmcli.cli.main import whole_app
from crmcli.core.loader import Loader

from .conftest import BASE_FILES, TODAY, check

DASHBOARD = """
    title: Sales
    widgets:
      - {type: stat, title: Pipeline, project: opportunities, measure: sum(amount)}
      - {type: stat, title: Weighted, project: opportunities, measure: weighted(amount)}
"""
AUTOMATIONS = """
    rules:
      - name: Quiet deal
        on: schedule
        project: opportunities
        when: "outcome == 'open'"
        do:
          - notify: assignee
            message: "Follow up on {{ record.name }}"
"""


def _with(path: str, old: str, new: str) -> dict[str, str]:
    text = textwrap.dedent(BASE_FILES[path])
    assert old in text
    return {path: text.replace(old, new)}


def _field(line: str) -> dict[str, str]:
    return _with(
        "opportunities/_project.yaml",
        "  amount: {type: currency}\n",
        f"  amount: {{type: currency}}\n  {line}\n",
    )


# each case: the files changed, the file and the text of the line `crm check` must name
BAD_INPUT = {
    "unknown-timezone": (
        _with("crm.yaml", "timezone: Europe/Paris", "timezone: Europe/Pariss"),
        "crm.yaml",
        "timezone:",
    ),
    "unknown-locale": (
        _with("crm.yaml", "locale: fr_FR", "locale: xx_YY"),
        "crm.yaml",
        "locale:",
    ),
    "rating-max-not-a-number": (
        _field('confidence: {type: rating, max: "10"}'),
        "opportunities/_project.yaml",
        "confidence:",
    ),
    "probability-above-one": (
        _with(
            "opportunities/_project.yaml",
            "{name: Proposal sent, probability: 0.5",
            "{name: Proposal sent, probability: 1.5",
        ),
        "opportunities/_project.yaml",
        "Proposal sent",
    ),
    "select-without-options": (
        _field("source: {type: select}"),
        "opportunities/_project.yaml",
        "source:",
    ),
    "lookup-through-non-reference": (
        _field("amount_email: {type: lookup, through: amount, field: email}"),
        "opportunities/_project.yaml",
        "amount_email:",
    ),
}


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


@pytest.fixture(params=sorted(BAD_INPUT))
def bad(request, workspace) -> tuple[str, Path, str, str]:
    files, path, needle = BAD_INPUT[request.param]
    root = workspace({**files, "dashboards/sales.yaml": DASHBOARD, "automations.yaml": AUTOMATIONS})
    _git(root, "init", "-q", "-b", "main")
    _git(root, "-c", "user.email=alice@agency.example", "-c", "user.name=Alice", "add", "-A")
    _git(
        root,
        *("-c", "user.email=alice@agency.example", "-c", "user.name=Alice"),
        *("commit", "-q", "-m", "start"),
    )
    return request.param, root, path, needle


def _line_of(root: Path, path: str, needle: str) -> int:
    lines = (root / path).read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if needle in line)


def test_check_reports_the_bad_value_at_its_line(bad):
    _code, root, path, needle = bad
    result = check(root)
    found = [p for p in result.problems if p.path == path and p.is_error]
    assert found, [str(p) for p in result.problems]
    assert _line_of(root, path, needle) in {p.line for p in found}, [str(p) for p in found]


def test_loader_keeps_a_safe_default(bad):
    code, root, _path, _needle = bad
    workspace = Loader(root).load()
    config = workspace.config
    if code == "unknown-timezone":
        assert config.timezone == "UTC"
    if code == "unknown-locale":
        assert config.locale == "en_US"
        assert config.language == "en"
    opportunities = workspace.projects["opportunities"]
    if code == "rating-max-not-a-number":
        assert opportunities.fields["confidence"].rating_max == 5
    if code == "probability-above-one":
        assert opportunities.lists["Proposal sent"].probability is None
    if code != "lookup-through-non-reference":  # the engine reports that one, with its chain
        assert workspace.problems, "the loader itself reports the bad value"


COMMANDS = (
    ("add", "opportunities", "Beta deal", "--set", "client=acme", "--set", "amount=100"),
    ("set", "opportunities/acme-website", "amount=13000"),
    ("move", "opportunities/acme-website", "Proposal sent"),
    ("show", "opportunities/acme-website"),
    ("list", "opportunities"),
    ("dashboard", "sales", "--out", "{out}"),
    ("remind", "--dry-run"),
)


@pytest.mark.parametrize("command", COMMANDS, ids=[c[0] for c in COMMANDS])
def test_no_command_tracebacks_on_bad_configuration(bad, command, tmp_path, monkeypatch):
    _code, root, _path, _needle = bad
    monkeypatch.setenv("CRM_USER", "alice")
    monkeypatch.setenv("CRM_NOW", f"{TODAY.isoformat()}T10:00:00+01:00")
    args = [part.replace("{out}", str(tmp_path / "out")) for part in command]
    result = CliRunner().invoke(whole_app(), ["-C", str(root), *args])
    assert result.exit_code in (0, 1), (result.exit_code, result.output, result.exception)
    unexpected = result.exception if not isinstance(result.exception, SystemExit) else None
    if unexpected is not None and not _is_crm_error(unexpected):
        raise unexpected
    assert "Traceback" not in result.output


def _is_crm_error(error: BaseException) -> bool:
    from crmcli.errors import CrmError

    return isinstance(error, CrmError)


def test_set_rating_with_a_text_max_uses_the_default(workspace):
    root = workspace(_field('confidence: {type: rating, max: "10"}'))
    result = CliRunner().invoke(
        whole_app(), ["-C", str(root), "set", "opportunities/acme-website", "confidence=3"]
    )
    assert result.exit_code == 0, (result.output, result.exception)
    assert "confidence: 3" in (root / "opportunities/acme-website.yaml").read_text(encoding="utf-8")


def test_language_defaults_to_the_locale_and_is_validated(workspace):
    root = workspace()
    assert Loader(root).load().config.language == "fr"
    root = workspace(_with("crm.yaml", "locale: fr_FR", "locale: fr_FR\nlanguage: ru"))
    assert Loader(root).load().config.language == "ru"
    root = workspace(_with("crm.yaml", "locale: fr_FR", "locale: fr_FR\nlanguage: klingon"))
    workspace_model = Loader(root).load()
    assert workspace_model.config.language == "fr"
    assert "unknown-language" in {p.code for p in workspace_model.problems}


def test_value_field_is_declared_or_the_first_currency_field(workspace):
    root = workspace()
    assert Loader(root).load().projects["opportunities"].value_field == "amount"
    declared = _with(
        "opportunities/_project.yaml", "record_name: Deal", "record_name: Deal\nvalue_field: cost"
    )
    assert Loader(workspace(declared)).load().projects["opportunities"].value_field == "cost"
    clients = Loader(workspace()).load().projects["clients"]
    assert clients.value_field is None


@pytest.mark.parametrize("value_field", ["montant", "client"])
def test_a_bad_value_field_is_a_problem_with_the_default(workspace, value_field):
    files = _with(
        "opportunities/_project.yaml",
        "record_name: Deal",
        f"record_name: Deal\nvalue_field: {value_field}",
    )
    root = workspace(files)
    loaded = Loader(root).load()
    assert loaded.projects["opportunities"].value_field == "amount"
    problems = [p for p in check(root).problems if p.code == "bad-value-field"]
    assert [p.line for p in problems] == [
        _line_of(root, "opportunities/_project.yaml", "value_field:")
    ]


def test_export_into_a_missing_folder_is_a_clear_error(workspace):
    root = workspace()
    missing = Path("/nonexistent/dir/x.csv")
    result = CliRunner().invoke(
        whole_app(),
        ["-C", str(root), "export", "opportunities", "--format", "csv", "--out", str(missing)],
    )
    assert result.exit_code == 1, (result.output, result.exception)
    assert _is_crm_error(result.exception) or isinstance(result.exception, SystemExit)
    message = str(getattr(result.exception, "message", "")) + result.output
    assert "/nonexistent/dir" in message


# each case: a computed field with a setting of the wrong type, the line that writes it, and
# the setting's attribute on FieldDef (left empty: the safe default)
WRONG_SETTINGS = {
    "expr-a-number": ("type: formula\n    expr: 5", "expr: 5", "expr"),
    "agg-a-list": (
        "type: rollup\n    through: client\n    field: email\n    agg: [sum]",
        "agg: [sum]",
        "agg",
    ),
    "through-a-list": (
        "type: lookup\n    through: [client]\n    field: email",
        "through: [client]",
        "through",
    ),
    "field-a-mapping": (
        "type: lookup\n    through: client\n    field: {name: email}",
        "field: {name: email}",
        "source_field",
    ),
    "where-a-number": (
        "type: rollup\n    through: client\n    agg: count\n    where: 5",
        "where: 5",
        "where",
    ),
    "from-a-list": (
        "type: referenced_by\n    from: [opportunities.client]",
        "from: [opportunities.client]",
        "backlink_from",
    ),
}


def _computed(settings: str) -> dict[str, str]:
    return _field(f"odd:\n    {settings}")


@pytest.mark.parametrize("case", sorted(WRONG_SETTINGS))
def test_a_wrongly_typed_computed_setting_is_one_problem_at_its_line(workspace, case):
    settings, wrong_line, _attribute = WRONG_SETTINGS[case]
    root = workspace(_computed(settings))
    problems = [p for p in check(root).problems if p.path == "opportunities/_project.yaml"]
    assert [(p.code, p.line) for p in problems] == [
        ("bad-setting", _line_of(root, "opportunities/_project.yaml", wrong_line))
    ], [str(p) for p in problems]


@pytest.mark.parametrize("case", sorted(WRONG_SETTINGS))
def test_a_wrongly_typed_computed_setting_gives_way_to_nothing(workspace, case):
    settings, _line, attribute = WRONG_SETTINGS[case]
    opportunities = Loader(workspace(_computed(settings))).load().projects["opportunities"]
    odd = opportunities.fields["odd"]
    assert getattr(odd, attribute) is None
    assert odd.broken


@pytest.mark.parametrize("case", sorted(WRONG_SETTINGS))
def test_show_and_list_work_beside_a_wrongly_typed_computed_setting(workspace, case):
    settings, _line, _attribute = WRONG_SETTINGS[case]
    root = workspace(_computed(settings))
    for command in (("show", "opportunities/acme-website"), ("list", "opportunities")):
        result = CliRunner().invoke(whole_app(), ["-C", str(root), *command])
        assert result.exit_code == 0, (command, result.output, result.exception)
        assert "Acme" in result.output


def test_a_wrongly_typed_format_leaves_the_formula_computed(workspace):
    root = workspace(_computed('type: formula\n    expr: "amount - cost"\n    format: [currency]'))
    loaded = Loader(root).load()
    odd = loaded.projects["opportunities"].fields["odd"]
    assert (odd.display_format, odd.broken) == (None, False)
    assert [p.code for p in check(root).problems] == ["bad-setting"]
    result = CliRunner().invoke(
        whole_app(), ["-C", str(root), "show", "opportunities/acme-website", "--as", "alice"]
    )
    assert result.exit_code == 0, (result.output, result.exception)
    assert "5 000" in result.output.replace("\u202f", " ").replace("\xa0", " ")


def test_the_exported_record_schema_uses_the_safe_rating_max(workspace):
    from crmcli.check.schema_export import record_schema

    loaded = Loader(workspace(_field('confidence: {type: rating, max: "10"}'))).load()
    schema = record_schema(loaded, loaded.projects["opportunities"])
    assert schema["properties"]["confidence"]["maximum"] == 5
