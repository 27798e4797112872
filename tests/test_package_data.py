"""The package carries its data as real files: JSON Schemas, the dashboard's HTML templates and
the `crm init --template sales` workspace, which benchmarks/make_sample_workspace.py writes
together with sample-workspace/ (the same configuration, a subset of the records)."""

from __future__ import annotations

from pathlib import Path

from .conftest import REPO, SAMPLE

PACKAGE = REPO / "crmcli"
TEMPLATE = PACKAGE / "templates" / "sales"


def relative_files(root: Path, pattern: str) -> set[str]:
    return {path.relative_to(root).as_posix() for path in root.glob(pattern) if path.is_file()}


def test_nothing_in_the_package_is_a_symlink():
    assert [path for path in PACKAGE.rglob("*") if path.is_symlink()] == []


def test_the_package_holds_the_schemas_and_the_dashboard_templates():
    assert relative_files(PACKAGE / "schemas", "*.json") == {
        "automations.schema.json",
        "crm.schema.json",
        "dashboard.schema.json",
        "project.schema.json",
    }
    assert {"dashboard.css", "dashboard.html.j2"} <= relative_files(PACKAGE / "templates", "*")


def test_the_sales_template_has_the_sample_workspace_configuration_byte_for_byte():
    configuration = ["crm.yaml", "automations.yaml", "dashboards/*.yaml", "*/_project.yaml"]
    for pattern in configuration:
        names = relative_files(SAMPLE, pattern)
        assert names and names == relative_files(TEMPLATE, pattern), pattern
        for name in names:
            assert (TEMPLATE / name).read_bytes() == (SAMPLE / name).read_bytes(), name


def test_the_sales_examples_are_sample_records_unchanged():
    examples = relative_files(TEMPLATE, "*/[!_]*.yaml") | relative_files(TEMPLATE, "files/*/*")
    examples = {name for name in examples if not name.startswith("dashboards/")}
    assert len(examples) > 10
    for name in examples:
        assert (TEMPLATE / name).read_bytes() == (SAMPLE / name).read_bytes(), name
