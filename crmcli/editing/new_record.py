"""New record files in the canonical layout (`crm add`, imports), written fast.

The common values are formatted directly; anything unusual goes through PyYAML's C emitter,
and quoting follows the reader's YAML 1.2 rules and YAML 1.1's, so every value reads back as
it was given.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import yaml
from yaml.cyaml import CEmitter
from yaml.nodes import ScalarNode
from yaml.representer import SafeRepresenter

from crmcli.core.yamlio import QuotingResolver
from crmcli.editing.writer import represent_datetime


class _RecordDumper(CEmitter, SafeRepresenter, QuotingResolver):  # type: ignore[misc]
    """PyYAML's C emitter for the values the fast path below leaves to it."""

    def __init__(self, stream: Any, **options: Any) -> None:
        CEmitter.__init__(self, stream, width=4096, allow_unicode=True)
        SafeRepresenter.__init__(
            self,
            default_style=options.get("default_style"),
            default_flow_style=options.get("default_flow_style"),
        )
        QuotingResolver.__init__(self)


def _represent_text(representer: Any, value: str) -> Any:
    # several lines as a literal block, as people write them (quoted inside [] and {}, and
    # when a block could not keep trailing blank lines or spaces)
    block = "\n" in value and not value.endswith("\n\n") and value.rstrip("\n") == value.rstrip()
    style = representer.default_style or ("|" if block else None)
    return representer.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_RecordDumper.add_representer(datetime, represent_datetime)
_RecordDumper.add_representer(str, _represent_text)

# Text that can be written without quotes: no indicator first, no “: ” or “ #”, printable.
_PLAIN = re.compile(
    r"[^\s\-?:,\[\]{}#&*!|>'\"%@`]"
    r"(?:[^\n\r\t\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff:#]|:(?! )|(?<! )#)*"
    r"(?<![\s:])"
)
_FLOW_UNSAFE = frozenset(",[]{}:#")
_QUOTING = QuotingResolver()


@functools.lru_cache(maxsize=8192)  # keys, lists, members and options come back every record
def _plain(text: str, flow: bool) -> bool:
    if not _PLAIN.fullmatch(text) or (flow and not _FLOW_UNSAFE.isdisjoint(text)):
        return False
    return _QUOTING.resolve(ScalarNode, text, (True, False)) == "tag:yaml.org,2002:str"


def _block_value(value: Any) -> str:
    """A top-level value as it follows `key:`, with its own line breaks for blocks."""
    if isinstance(value, str) and _plain(value, flow=False):
        return " " + value
    if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        return "".join("\n- " + _flow_mapping(item) for item in value)
    if isinstance(value, list):
        return " [" + ", ".join(_flow_value(item) for item in value) + "]"
    simple = _simple_scalar(value)
    if simple is not None:
        return " " + simple
    dumped = yaml.dump({"k": value}, Dumper=_RecordDumper, default_flow_style=False)
    return dumped[2:].rstrip("\n")


def _flow_mapping(item: dict[str, Any]) -> str:
    return "{" + ", ".join(f"{_flow_value(k)}: {_flow_value(v)}" for k, v in item.items()) + "}"


def _flow_value(value: Any) -> str:
    if isinstance(value, str) and _plain(value, flow=True):
        return value
    simple = _simple_scalar(value)
    if simple is not None:
        return simple
    style = '"' if isinstance(value, str) and "\n" in value else None
    dumped = yaml.dump([value], Dumper=_RecordDumper, default_style=style, default_flow_style=True)
    return dumped.strip()[1:-1]


def _simple_scalar(value: Any) -> str | None:
    """Numbers, yes/no, dates and moments: their plain form, which needs no quotes."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        text = repr(value)  # 1e+20 is text to YAML 1.1: write 1.0e+20
        return text.replace("e", ".0e") if "e" in text and "." not in text else text
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return None


def render_record(data: Mapping[str, Any]) -> str:
    """A new record file in the canonical layout, keys in the order given: one `key: value`
    line per field, lists of values inline (`tags: [seo, website]`), lists of entries one per
    line (`- {list: Won, at: …, by: alice}`), several lines of text as a literal block.

    The common values are formatted directly, which is what makes an import of 100,000
    records fast; anything unusual goes through PyYAML's emitter, and quoting follows the
    reader's YAML 1.2 rules and YAML 1.1's, so every value reads back as it was given.
    """
    return "".join(f"{_flow_value(key)}:{_block_value(value)}\n" for key, value in data.items())
