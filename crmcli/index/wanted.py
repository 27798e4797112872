"""Whether a command uses the index: not with --no-cache (`cache=False`), nor with
$CRM_NO_CACHE set to anything but 0. Standard library only: `crm` asks it as it starts."""

from __future__ import annotations

import os

NO_CACHE_VARIABLE = "CRM_NO_CACHE"
NO_CACHE_OPTION = "--no-cache"


def cache_wanted(cache: bool = True) -> bool:
    return cache and os.environ.get(NO_CACHE_VARIABLE, "") in ("", "0")
