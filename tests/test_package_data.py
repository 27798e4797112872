"""The package carries its data as real files: JSON Schemas, the dashboard's HTML templates and
the `crm init --template sales` workspace (in English, with a file per language)."""

from __future__ import annotations

from pathlib import Path

from .conftest import REPO

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


def test_the_sales_template_is_configuration_and_a_file_per_language():
    assert relative_files(TEMPLATE, "**/*") == {
        "crm.yaml",
        "automations.yaml",
        "dashboards/sales.yaml",
        "clients/_project.yaml",
        "opportunities/_project.yaml",
        "delivery/_project.yaml",
        "invoices/_project.yaml",
        "languages/en.yaml",
        "languages/fr.yaml",
        "languages/ru.yaml",
    }
