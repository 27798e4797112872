"""The mapping file (--mapping): the options of an import that is run again and again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from crmcli.core.problems import did_you_mean
from crmcli.core.yamlio import (
    MAX_CONFIG_BYTES,
    YamlReadError,
    key_positions,
    locate,
    parse,
    read_text,
)
from crmcli.errors import UsageError
from crmcli.i18n import _
from crmcli.i18n.lists import and_list

RECIPE_KEYS = ("columns", "values", "references", "key", "list", "tags")


def read_recipe(path: Path) -> dict[str, Any]:
    """A mapping file: the options of an import that is run again and again.

    columns: {HEADER: field}   (a blank field skips the column)
    values: {misspelt: meant}
    references: {reference field: key field of the target}
    key: field, list: default list, tags: [default tags]
    """
    try:
        text = read_text(path, MAX_CONFIG_BYTES)
        data = parse(text).data
    except FileNotFoundError:
        raise UsageError(_("{path}: no such file").format(path=path)) from None
    except YamlReadError as error:
        raise UsageError(f"{path}:{error.line}:{error.column}: {error.message}") from None
    positions = key_positions(text)

    def refuse(key_path: tuple[Any, ...], message: str) -> UsageError:
        line, column = locate(positions, key_path)
        return UsageError(f"{path}:{line}:{column}: {message}")

    if not isinstance(data, dict):
        raise refuse((), _("a mapping file holds {keys}").format(keys=and_list(RECIPE_KEYS)))
    for key, value in data.items():
        if key not in RECIPE_KEYS:
            raise refuse(
                (key,),
                _("unknown key “{key}”{hint}").format(
                    key=key, hint=did_you_mean(str(key), RECIPE_KEYS)
                ),
            )
        if key in ("columns", "values", "references"):
            if not isinstance(value, dict) or not all(
                isinstance(v, str | int | float) or v is None for v in value.values()
            ):
                raise refuse(
                    (key,), _("{key}: write a mapping of names, e.g. HEADER: field").format(key=key)
                )
        elif key == "tags":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise refuse((key,), _("tags: write a list of tags, e.g. [seo, website]"))
        elif not isinstance(value, str):
            raise refuse((key,), _("{key}: write a name").format(key=key))
    return {
        key: {str(k): "" if v is None else str(v) for k, v in value.items()}
        if isinstance(value, dict)
        else value
        for key, value in data.items()
    }
