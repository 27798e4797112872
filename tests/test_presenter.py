"""One presenter: a value reads the same in `crm show`, `crm list`, `crm diff` and messages —
a reference as its target's name (with its id where there is room), a member by name, money
in the workspace locale."""

from __future__ import annotations

import os

from crmcli.core.loader import Loader
from crmcli.engine.compute import compute
from crmcli.engine.present import Presenter

from .conftest import crm
from .repos import Repo

ENV = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", "CRM_USER": "alice"}
DEAL = "opportunities/acme-website"


def test_show_reads_references_members_and_money_as_people_do(workspace):
    root = workspace()
    shown = crm("show", DEAL, cwd=root, env=ENV)
    assert shown.returncode == 0, shown.stderr
    lines = {line.split("  ")[0]: line for line in shown.stdout.splitlines()}
    assert "Acme (acme)" in lines["client"]
    assert "Alice Martin" in lines["assignee"] and "alice " not in lines["assignee"]
    assert "12\u202f000,00\xa0€" in lines["amount"]  # fr_FR: narrow no-break space, comma


def test_list_names_the_reference_without_its_id_and_json_keeps_the_id(workspace):
    root = workspace()
    listed = crm("list", "opportunities", "-c", "name,client,assignee,amount", cwd=root, env=ENV)
    assert listed.returncode == 0, listed.stderr
    row = next(line for line in listed.stdout.splitlines() if "Website" in line)
    assert "Acme" in row and "(acme)" not in row and "Alice Martin" in row
    assert "12\u202f000,00\xa0€" in row
    as_json = crm("list", "opportunities", "-c", "client,assignee", "-f", "json", cwd=root, env=ENV)
    assert '"client": "acme"' in as_json.stdout and '"assignee": "alice"' in as_json.stdout


def test_a_lookup_of_a_reference_reads_as_the_name(workspace):
    root = workspace(
        {
            "tasks/_project.yaml": """
                name: Tasks
                lists: [Todo]
                fields:
                  deal: {type: reference, project: opportunities}
                  deal_client: {type: lookup, through: deal, field: client}
            """,
            "tasks/call.yaml": "name: Call\nlist: Todo\ndeal: acme-website\n",
        }
    )
    loader = Loader(root)
    workspace_ = loader.load()
    engine = compute(workspace_, loader.log)
    presenter = Presenter(workspace_, engine)
    tasks = workspace_.projects["tasks"]
    record = tasks.records["call"]
    assert presenter.value(tasks, "deal_client", record.value("deal_client")) == "Acme"
    assert presenter.value(tasks, "deal", "acme-website", with_id=True) == (
        "Acme — Website (acme-website)"
    )
    assert presenter.value(tasks, "deal", "gone") == "gone (no such record)"


def test_diff_and_show_read_a_changed_reference_alike(workspace):
    root = workspace({"clients/globex.yaml": "name: Globex\nlist: Clients\n"})
    repo = Repo(root, root)
    repo.commit("start")
    repo.replace(f"{DEAL}.yaml", "client: acme", "client: globex")
    diffed = crm("diff", cwd=root, env=ENV)
    assert diffed.returncode == 0, diffed.stderr
    assert "Acme" in diffed.stdout and "Globex" in diffed.stdout
    assert "acme →" not in diffed.stdout
    shown = crm("show", DEAL, cwd=root, env=ENV)
    assert "Globex (globex)" in shown.stdout


def test_crm_set_says_what_changed_in_names(workspace):
    root = workspace()
    changed = crm("set", DEAL, "assignee=bruno", cwd=root, env=ENV)
    assert changed.returncode == 0, changed.stderr
    assert "Alice Martin → Bruno Petit" in changed.stdout + changed.stderr
