"""JSON Schemas of record files, one per project, for editors (the YAML language server)."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from crmcli.core.model import FieldDef, Project, Workspace
from crmcli.fields.activities import ACTIVITY_TYPES

MAX_ENUM_IDS = 5000  # above this, references are plain strings: editors choke on huge enums

FORMAT_SCHEMAS = {
    "crm.schema.json": ["crm.yaml"],
    "automations.schema.json": ["automations.yaml"],
    "dashboard.schema.json": ["dashboards/*.yaml"],
    "project.schema.json": ["*/_project.yaml"],
}


def _scalar_schema(field: FieldDef, workspace: Workspace, project: Project) -> dict[str, Any]:
    kind = field.type
    if kind in ("text", "long_text"):
        schema: dict[str, Any] = {"type": ["string", "number"]}
        if field.max_length is not None:
            schema["maxLength"] = field.max_length
        return schema
    if kind in ("number", "currency", "percent"):
        schema = {"type": "number"}
        for bound, keyword in ((field.minimum, "minimum"), (field.maximum, "maximum")):
            if bound is not None:
                schema[keyword] = bound
        return schema
    simple: dict[str, dict[str, Any]] = {
        "email": {"type": "string", "format": "email"},
        "phone": {"type": "string"},
        "url": {"type": "string", "format": "uri"},
        "date": {"type": "string", "format": "date"},
        "datetime": {"type": "string", "format": "date-time"},
        "checkbox": {"type": "boolean"},
        "files": {"type": "array", "items": {"type": "string"}},
    }
    if kind in simple:
        return dict(simple[kind])
    if kind == "rating":
        return {"type": "integer", "minimum": 1, "maximum": field.rating_max}
    if kind == "select":
        return {"enum": list(field.options)}
    if kind == "multi_select":
        return {"type": "array", "items": {"enum": list(field.options)}, "uniqueItems": True}
    if kind == "reference":
        target = workspace.projects.get(field.target_project or "")
        one: dict[str, Any] = {"type": "string"}
        if target is not None and 0 < len(target.records) <= MAX_ENUM_IDS:
            one["enum"] = sorted(target.records)
        return {"type": "array", "items": one} if field.multiple else one
    return _builtin_schema(field, workspace, project)


def _builtin_schema(field: FieldDef, workspace: Workspace, project: Project) -> dict[str, Any]:
    members = sorted(workspace.config.members)
    lists = list(project.lists)
    if field.type == "list":
        return {"enum": lists}
    if field.type == "tags":
        return {"type": "array", "items": {"enum": list(project.tags)}, "uniqueItems": True}
    if field.type == "member":
        return {"enum": members}
    if field.type == "checklist":
        item = {
            "type": "object",
            "properties": {"item": {"type": "string"}, "done": {"type": "boolean"}},
            "required": ["item"],
            "additionalProperties": False,
        }
        return {"type": "array", "items": {"anyOf": [{"type": "string"}, item]}}
    if field.type == "dependencies":
        return {"type": "array", "items": {"type": "string"}}
    if field.type == "history":
        entry = {
            "type": "object",
            "properties": {
                "list": {"type": "string", "description": "The list the record entered."},
                "at": {"type": "string", "format": "date-time"},
                "by": {"enum": members},
                "note": {"type": "string"},
            },
            "required": ["list", "at"],
            "additionalProperties": False,
        }
        return {"type": "array", "items": entry}
    if field.type == "activities":
        activity = {
            "type": "object",
            "properties": {
                "type": {"enum": list(ACTIVITY_TYPES)},
                "at": {"type": "string", "format": "date-time"},
                "by": {"enum": members},
                "text": {"type": "string"},
            },
            "required": ["type", "at"],
            "additionalProperties": False,
        }
        return {"type": "array", "items": activity}
    if field.type == "next_step":
        return {
            "type": "object",
            "properties": {
                "what": {"type": "string"},
                "due": {"type": "string", "format": "date"},
                "by": {"enum": members},
            },
            "required": ["what"],
            "additionalProperties": False,
        }
    return {}


def record_schema(workspace: Workspace, project: Project) -> dict[str, Any]:
    """The JSON Schema of one record file of `project`."""
    properties = {}
    for field in project.fields.values():
        if field.computed:
            continue
        schema = _scalar_schema(field, workspace, project)
        schema["title"] = field.label
        description = field.description
        if isinstance(description, str):
            schema["description"] = description
        properties[field.key] = schema
    required = [f.key for f in project.fields.values() if f.required and not f.computed]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"{project.name}: {project.record_name}",
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


def export_schemas(workspace: Workspace, out_dir: Path) -> dict[str, list[str]]:
    """Write every schema into out_dir; return {schema file: [globs]} for editor settings."""
    out_dir.mkdir(parents=True, exist_ok=True)
    mapping: dict[str, list[str]] = {}
    for project in workspace.projects.values():
        name = f"{project.key}.schema.json"
        _write(out_dir / name, record_schema(workspace, project))
        mapping[name] = [f"{project.key}/*.yaml", f"!{project.key}/_project.yaml"]
    for name, globs in FORMAT_SCHEMAS.items():
        text = resources.files("crmcli").joinpath("schemas", name).read_text(encoding="utf-8")
        (out_dir / name).write_text(text, encoding="utf-8")
        mapping[name] = globs
    return mapping


def _write(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
