"""The package's HTML page templates (`crmcli/templates/`): one jinja2 environment, autoescaped
and strict about unknown names, shared by the dashboards and the web form and built once per
process (the form server renders a page on every request)."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jinja2 import Environment


@functools.cache
def page_environment() -> Environment:
    from jinja2 import Environment, PackageLoader, StrictUndefined

    return Environment(
        loader=PackageLoader("crmcli", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
