"""What `crm remind` does less of to stay fast (issue 14), and the answers that must not move:
the workload cache is brought up to date only for the projects a rule assigns least loaded
(by a dry run, only those its schedule rules assign), by writing only the rows that differ;
a condition that cannot be computed is still reported
as a failed condition, in the reader's language; a message's memory ceiling is measured in
the process that renders it, also after a fork."""

from __future__ import annotations

import mmap
import os
import sqlite3
from pathlib import Path

from crmcli.automations import workload
from crmcli.automations.sandbox import MEMORY_HEADROOM, bounded
from crmcli.core.loader import Loader

from .conftest import crm_in_process

ENV = {"CRM_NOW": "2026-11-23T09:00:00", "CRM_USER": "", "CRM_LANG": "en"}

CRM_YAML = """
    name: Test Agency
    locale: fr_FR
    currency: EUR
    timezone: Europe/Paris
    members:
      alice: {name: Alice Martin, email: alice@agency.example, role: manager,
              notify: ["json://127.0.0.1:9/alice"]}
      bruno: {name: Bruno Petit, email: bruno@agency.example, role: manager,
              notify: ["json://127.0.0.1:9/bruno"]}
    roles:
      manager: {}
"""
ASSIGN_NEW_LEADS = """
rules:
  - name: Assign new leads
    on: created
    project: opportunities
    do:
      - assign: {strategy: least_loaded, among: [alice, bruno]}
"""
RULES = (
    ASSIGN_NEW_LEADS
    + """
  - name: Costly deal
    on: schedule
    project: opportunities
    when: "amount / cost > 1"
    do:
      - notify: assignee
        message: "{{ record.name }} earns more than it costs"
"""
)

DEALS = {
    "crm.yaml": CRM_YAML,
    "automations.yaml": RULES,
} | {
    f"opportunities/deal-{n}.yaml": (
        f"name: Deal {n}\nlist: {stage}\nclient: acme\nassignee: {who}\namount: 100\ncost: {cost}\n"
    )
    for n, (stage, who, cost) in enumerate(
        [("Lead", "alice", 50), ("Lead", "alice", 0), ("Proposal sent", "bruno", 50)]
    )
}


def full_project(root: Path):
    return Loader(root).load().projects["opportunities"]


def open_records(root: Path) -> dict[str, int]:
    project = Loader(root).load(lazy=True).projects["opportunities"]
    return workload.open_records_by_member(root, project)


def keep_folder_time(root: Path, change) -> None:
    """Make `change` to the opportunities folder without its modification time moving, so
    that only a full load can see it (as when a file is replaced in place)."""
    folder = root / "opportunities"
    before = folder.stat()
    change()
    os.utime(folder, ns=(before.st_atime_ns, before.st_mtime_ns))


def test_a_full_load_writes_changed_rows_and_drops_those_of_records_gone(workspace):
    root = workspace(DEALS)  # the base deal acme-website is Won: not open
    assert open_records(root) == {"alice": 2, "bruno": 1}
    path = root / "opportunities/deal-0.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("Lead", "Won"), encoding="utf-8")
    keep_folder_time(root, (root / "opportunities/deal-2.yaml").unlink)
    assert open_records(root) == {"alice": 2, "bruno": 1}  # nothing listed says otherwise
    workload.refresh_from_loaded(root, full_project(root))
    assert open_records(root) == {"alice": 1}
    workload.refresh_from_loaded(root, full_project(root))  # nothing differs: nothing moves
    assert open_records(root) == {"alice": 1}


QUIET_RULES = (
    ASSIGN_NEW_LEADS
    + """
  - name: Never due
    on: schedule
    project: opportunities
    when: "amount < 0"
    do:
      - notify: assignee
"""
)


def win_by_hand(root: Path, record: str) -> None:
    """Move a deal to Won by editing its file in place (its folder's time does not move)."""
    path = root / f"opportunities/{record}.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Lead", "Won").replace("Proposal sent", "Won"), encoding="utf-8")


def cached_projects(root: Path) -> set[str]:
    with sqlite3.connect(root / ".crm/workload.sqlite") as connection:
        return {p for (p,) in connection.execute("select distinct project from assignment")}


def test_remind_counts_the_open_records_of_the_projects_assigned_least_loaded_only(workspace):
    root = workspace({**DEALS, "automations.yaml": QUIET_RULES})
    assert open_records(root) == {"alice": 2, "bruno": 1}
    win_by_hand(root, "deal-2")
    dry = crm_in_process("-C", root, "remind", "--dry-run", env=ENV)
    assert dry.returncode == 0, dry.stderr
    assert open_records(root) == {"alice": 2, "bruno": 1}  # a dry run left the cache alone
    result = crm_in_process("-C", root, "remind", env=ENV)
    assert result.returncode == 0, result.stderr
    assert open_records(root) == {"alice": 2}  # the full load of crm remind saw it
    assert cached_projects(root) == {"opportunities"}  # no rule assigns clients: never counted


SCHEDULE_ASSIGN = """
rules:
  - name: Owner for every lead
    on: schedule
    project: opportunities
    when: "list == 'Lead'"
    do:
      - assign: {strategy: least_loaded, among: [alice, bruno]}
"""


def test_a_dry_run_whose_schedule_rules_assign_least_loaded_counts_what_files_say(workspace):
    deals = {
        **DEALS,
        "automations.yaml": SCHEDULE_ASSIGN,
        "opportunities/deal-3.yaml": "name: Deal 3\nlist: Proposal sent\nclient: acme\nassignee: bruno\n",
        "opportunities/deal-4.yaml": "name: Deal 4\nlist: Lead\nclient: acme\nassignee: alice\n",
        "opportunities/deal-9.yaml": "name: Deal 9\nlist: Lead\nclient: acme\n",
    }
    root = workspace(deals)
    assert open_records(root) == {"alice": 3, "bruno": 2}
    for record in ("deal-0", "deal-1", "deal-4"):
        win_by_hand(root, record)  # alice holds nothing open any more; the cache says 3
    result = crm_in_process("-C", root, "remind", "--dry-run", env=ENV)
    assert "would do: Owner for every lead: opportunities/deal-9 → action:1: assign to alice" in (
        result.stdout
    ), result.stdout + result.stderr


def test_a_condition_that_cannot_be_computed_is_a_failed_condition_in_the_readers_words(
    workspace,
):
    root = workspace(DEALS)
    result = crm_in_process("-C", root, "remind", "--dry-run", env=ENV)
    assert result.returncode == 1
    assert (
        "failed: Costly deal: opportunities/deal-1 → condition: division by zero" in result.stderr
    )
    assert "would do: Costly deal: opportunities/deal-0 → alice: Deal 0 earns" in result.stdout
    russian = crm_in_process("-C", root, "remind", "--dry-run", env={**ENV, "CRM_LANG": "ru"})
    assert "opportunities/deal-1 → условие: " in russian.stderr  # the word read when it failed


def test_a_forked_child_measures_its_own_memory_for_the_ceiling():
    with bounded():  # the parent has measured its memory (and kept what it measures with)
        pass
    child = os.fork()
    if child == 0:  # pragma: no cover — the child reports by its exit status
        status = 1
        try:
            grown = mmap.mmap(-1, MEMORY_HEADROOM + (64 << 20))  # address space only
            with bounded():
                mmap.mmap(-1, 32 << 20).close()  # well within the child's own headroom
            grown.close()
            status = 0
        except (OSError, MemoryError):
            status = 2
        finally:
            os._exit(status)
    _pid, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0


SUBJECT_RULES = """
rules:
  - name: Big deal
    on: schedule
    project: opportunities
    when: "amount > 0"
    do:
      - notify: assignee
        message: "{{ '-' * (record.amount * 2000) if record.cost == 0 else record.name }}"
        subject: "{{ '=' * (record.amount * 3000) }}"
"""


def test_body_and_subject_render_in_one_bound_and_the_first_error_is_told(workspace):
    root = workspace({**DEALS, "automations.yaml": SUBJECT_RULES})
    result = crm_in_process("-C", root, "remind", "--dry-run", env=ENV)
    failed = sorted(line for line in result.stderr.splitlines() if "/deal-" in line)
    too_long = "message: the template repeats a text {times} times: a message may be at most "
    assert failed == [  # deal-1 costs nothing: its body fails, before its subject
        f"failed: Big deal: opportunities/deal-0 → alice: {too_long.format(times=300000)}"
        "100000 characters long",
        f"failed: Big deal: opportunities/deal-1 → alice: {too_long.format(times=200000)}"
        "100000 characters long",
        f"failed: Big deal: opportunities/deal-2 → bruno: {too_long.format(times=300000)}"
        "100000 characters long",
    ]
