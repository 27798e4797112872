"""Permissions fail closed: an unknown role, or nobody, never reads or edits more than the most
restricted role; removing a record is refused to whoever may not change all of its values."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import BASE_FILES, crm

UNKNOWN_ROLE = BASE_FILES["crm.yaml"].replace(
    "        roles:",
    "          zoe: {name: Zoé Blanc, email: zoe@agency.example, role: intern}\n        roles:",
)
NO_ROLES = BASE_FILES["crm.yaml"].split("        roles:")[0]
STRANGER = {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1", "CRM_USER": ""}
DEAL = "opportunities/acme-website"


def _deal(root: Path) -> str:
    return (root / f"{DEAL}.yaml").read_text(encoding="utf-8")


def test_an_unknown_role_hides_every_role_s_hidden_fields(workspace):
    root = workspace({"crm.yaml": UNKNOWN_ROLE})
    shown = crm("-C", root, "show", DEAL, "--as", "zoe")
    assert shown.returncode == 0, shown.stderr
    assert "7 000" not in shown.stdout.replace("\u202f", " ").replace("\xa0", " ")
    assert "cost" not in shown.stdout
    listed = crm("-C", root, "list", "opportunities", "--as", "zoe", "-f", "json")
    assert listed.returncode == 0, listed.stderr
    assert all("cost" not in row for row in json.loads(listed.stdout))
    exported = crm("-C", root, "export", "opportunities", "-f", "json", "--as", "zoe")
    assert exported.returncode == 0, exported.stderr
    assert "7000" not in exported.stdout and "cost" not in exported.stdout
    manager = crm("-C", root, "export", "opportunities", "-f", "json", "--as", "alice")
    assert "7000" in manager.stdout


def test_an_unknown_role_may_not_change_what_any_role_may_not(workspace):
    root = workspace({"crm.yaml": UNKNOWN_ROLE})
    before = _deal(root)
    refused = crm("-C", root, "set", DEAL, "amount=13000", "--as", "zoe")
    assert refused.returncode == 1
    assert "may not change amount" in refused.stderr and "nothing was written" in refused.stderr
    assert _deal(root) == before


def test_a_non_member_reads_with_the_most_restricted_rights_and_is_told(workspace):
    root = workspace()
    shown = crm("-C", root, "show", DEAL, env=STRANGER)
    assert shown.returncode == 0, shown.stderr
    assert "cost" not in shown.stdout
    assert "not a member of this workspace" in shown.stderr
    refused = crm("-C", root, "set", DEAL, "amount=13000", env=STRANGER)
    assert refused.returncode == 1 and "may not change amount" in refused.stderr


def test_a_non_member_sees_everything_where_there_are_no_roles(workspace):
    root = workspace({"crm.yaml": NO_ROLES})
    shown = crm("-C", root, "show", DEAL, env=STRANGER)
    assert shown.returncode == 0, shown.stderr
    assert "cost" in shown.stdout and shown.stderr == ""


def test_rm_is_refused_to_a_role_with_read_only_fields_in_the_project(workspace):
    root = workspace()
    refused = crm("-C", root, "rm", DEAL, "--as", "bruno")
    assert refused.returncode == 1
    assert "may not remove records from Opportunities" in refused.stderr
    assert "nothing was removed" in refused.stderr
    assert (root / f"{DEAL}.yaml").exists()
    removed = crm("-C", root, "rm", DEAL, "--as", "alice")
    assert removed.returncode == 0, removed.stderr
    assert not (root / f"{DEAL}.yaml").exists()
