"""Configuration files against the JSON Schemas in crmcli/schemas/.

Below the consumers, so that `crm dashboard` and `crm remind` check just their own file with the
same words as `crm check`, without depending on the whole check pipeline.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any

from crmcli.core.layout import AUTOMATIONS_FILE, DASHBOARDS_DIR, PROJECT_FILE, WORKSPACE_FILE
from crmcli.core.loader import ConfigFile
from crmcli.core.problems import ProblemLog, did_you_mean
from crmcli.core.yamlio import jsonable, locate
from crmcli.i18n import _
from crmcli.i18n.lists import or_list


def _schema_for(path: str) -> str | None:
    if path == WORKSPACE_FILE:
        return "crm.schema.json"
    if path.endswith("/" + PROJECT_FILE):
        return "project.schema.json"
    if path == AUTOMATIONS_FILE:
        return "automations.schema.json"
    if path.startswith(DASHBOARDS_DIR + "/"):
        return "dashboard.schema.json"
    return None


@cache
def _validator(schema_name: str) -> Any:
    from jsonschema import Draft202012Validator

    text = resources.files("crmcli").joinpath("schemas", schema_name).read_text(encoding="utf-8")
    schema = json.loads(text)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def check_config_file(file: ConfigFile, log: ProblemLog) -> None:
    """One configuration file against its JSON Schema (crm dashboard checks just its own)."""
    schema_name = _schema_for(file.path)
    if schema_name is None or file.data is None:
        return
    seen: set[tuple[tuple[Any, ...], str]] = set()
    errors = _validator(schema_name).iter_errors(jsonable(file.data))
    for error in sorted(errors, key=lambda e: [str(p) for p in e.absolute_path]):
        key_path, message = _schema_message(error)
        if (key_path, message) in seen:
            continue
        seen.add((key_path, message))
        line, column = locate(file.positions, key_path)
        log.add_at(file.path, line, column, "config-schema", message)


def _schema_message(error: Any) -> tuple[tuple[Any, ...], str]:
    """A jsonschema error in words, and the key path it is about."""
    path = tuple(error.absolute_path)
    where = ".".join(str(p) for p in path)
    prefix = f"{where}: " if where else ""
    if error.validator in ("additionalProperties", "unevaluatedProperties"):
        unexpected = _unexpected_keys(error)
        if unexpected:
            known = list(error.schema.get("properties", {}))
            key = unexpected[0]
            return (*path, key), prefix + _("unknown key “{key}”{hint}").format(
                key=key, hint=did_you_mean(key, known)
            )
    if error.validator == "enum":
        choices = [str(c) for c in error.validator_value]
        return path, prefix + _("“{value}” is not one of {choices}{hint}").format(
            value=error.instance,
            choices=or_list(choices),
            hint=did_you_mean(str(error.instance), choices),
        )
    if error.validator == "required":
        missing = re.findall(r"'([^']+)' is a required property", error.message)
        if missing:
            return path, prefix + _("“{key}” is missing").format(key=missing[0])
    if error.validator == "pattern":
        description = error.schema.get("description", "")
        return path, prefix + _("“{value}” is not valid here. {description}").format(
            value=error.instance, description=description
        ).strip()
    return path, prefix + error.message


def _unexpected_keys(error: Any) -> list[str]:
    instance = error.instance if isinstance(error.instance, dict) else {}
    quoted = re.findall(r"'([^']+)'", error.message)
    return [key for key in quoted if key in instance]
