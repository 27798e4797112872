"""The crm.yaml of the duplicates and merge tests, and a workspace committed to git."""

from __future__ import annotations

import subprocess
from pathlib import Path

# Alice, a manager; Bruno, a junior who may not see clients' phone numbers.
CRM_YAML = """
    name: Dupes
    locale: fr_FR
    timezone: Europe/Paris
    members:
      alice: {name: Alice Martin, email: alice@agency.example, role: manager}
      bruno: {name: Bruno Petit, email: bruno@agency.example, role: junior}
    roles: {manager: {}, junior: {hidden: [clients.phone]}}
"""


def commit_all(root: Path, message: str = "start") -> Path:
    """`root` as a git repository with everything committed by Alice."""
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "add", "."], check=True)
    subprocess.run(
        ["git", "-C", str(root), "-c", "user.name=Alice Martin", "-c",
         "user.email=alice@agency.example", "commit", "-qm", message],
        check=True,
    )  # fmt: skip
    return root
