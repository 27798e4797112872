"""`crm schema export`."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from crmcli.i18n import _, counted, lazy, ngettext

app = typer.Typer(help=lazy("JSON Schemas for editors."), no_args_is_help=True)


@app.command(
    "export",
    help=lazy(
        "Write a JSON Schema per project (record files) and the schemas of crm.yaml, "
        "_project.yaml, automations and dashboards, so that editors with the YAML language "
        "server autocomplete and validate them.\n\nExamples:\n\n  crm schema export\n\n"
        "  crm schema export --out schemas --vscode"
    ),
)
def export(
    ctx: typer.Context,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help=lazy("Folder to write to (default: .crm/schema in the workspace)."),
            show_default=False,
        ),
    ] = None,
    vscode: Annotated[
        bool,
        typer.Option(
            "--vscode", help=lazy("Also map the schemas in .vscode/settings.json (yaml.schemas).")
        ),
    ] = False,
) -> None:
    from crmcli.check.schema_export import export_schemas
    from crmcli.core.loader import load_workspace
    from crmcli.errors import CrmError

    root = ctx.obj.root
    workspace = load_workspace(root)
    out_dir = (out if out is not None else root / ".crm" / "schema").resolve()
    try:
        mapping = export_schemas(workspace, out_dir)
    except OSError as error:
        raise CrmError(
            _("cannot write schemas to {path}: {reason}").format(
                path=out_dir, reason=error.strerror
            )
        ) from None
    relative = {os.path.relpath(out_dir / name, root): globs for name, globs in mapping.items()}
    if vscode:
        _update_vscode_settings(root, relative)
    sys.stderr.write(
        ngettext(
            "wrote {count} schema to {path}", "wrote {count} schemas to {path}", len(mapping)
        ).format(count=counted(len(mapping)), path=out_dir)
        + "\n"
    )
    json.dump({"yaml.schemas": relative}, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def _update_vscode_settings(root: Path, mapping: dict[str, list[str]]) -> None:
    from crmcli.errors import CrmError

    path = root / ".vscode" / "settings.json"
    settings = {}
    if path.exists():
        try:
            settings = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, OSError) as error:
            raise CrmError(
                _("cannot update {path}: {reason}").format(path=path, reason=error)
            ) from None
    settings.setdefault("yaml.schemas", {}).update(mapping)
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(settings, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def register(crm: typer.Typer) -> None:
    crm.add_typer(app, name="schema")
