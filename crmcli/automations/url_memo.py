"""What apprise said of each notification URL, remembered in `.crm/`: to answer, apprise
loads every one of its plugins (about a second), and its answer for one URL text never
changes while its version does not. URLs often hold tokens, so only their digests are kept."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from importlib import metadata
from pathlib import Path

from crmcli.core.state_dir import state_folder
from crmcli.errors import CrmError

MEMO_FILE = "apprise-urls.json"


def apprise_understands(url: str, root: Path | None = None) -> bool:
    """Whether apprise can send to this URL (its variables already expanded)."""
    version = metadata.version("apprise")
    key = hashlib.blake2b(url.encode(), digest_size=16).hexdigest()
    memo = _read(root, version)
    if key in memo:
        return memo[key]
    import apprise

    understood = bool(apprise.Apprise().add(url))
    memo[key] = understood
    _write(root, version, memo)
    return understood


def _path(root: Path | None) -> Path | None:
    if root is None:
        return None
    try:
        return state_folder(root) / MEMO_FILE
    except (CrmError, OSError):  # a state folder crm may not write: nothing is remembered
        return None


def _read(root: Path | None, version: str) -> dict[str, bool]:
    path = _path(root)
    try:
        saved = json.loads(path.read_text(encoding="utf-8")) if path else {}
    except (OSError, ValueError):
        return {}
    if not isinstance(saved, dict) or saved.get("apprise") != version:
        return {}
    urls = saved.get("urls")
    if not isinstance(urls, dict):
        return {}
    return {k: v for k, v in urls.items() if isinstance(v, bool)}


def _write(root: Path | None, version: str, memo: dict[str, bool]) -> None:
    path = _path(root)
    if path is None:
        return
    temporary = path.with_name(f".{MEMO_FILE}.{os.getpid()}.tmp")
    with contextlib.suppress(OSError):
        temporary.write_text(json.dumps({"apprise": version, "urls": memo}), encoding="utf-8")
        temporary.replace(path)
