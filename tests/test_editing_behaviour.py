"""Editing from the terminal (issue 4): init, add, move, set, rename, rm — what they write,
who they act as, what they refuse, how they commit, and that they stay safe under real
parallel processes and start without heavy imports.

Commands go through the real entry point of the `crm` script — argument parsing, error
printing and exit codes included. Most run it in this process (`run`) to keep the suite fast;
those where the process itself matters (exit codes seen by a shell, stdout of --print-id,
show/list output, git commits, parallel writers, imports at start-up) run it in a subprocess
(`run_process`). The clock is fixed (CRM_NOW) and git is isolated from the developer's own
configuration.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from crmcli.editing.atomic import write_atomically
from crmcli.errors import CrmError

from . import repos
from .conftest import REPO, Run, check, crm, crm_in_process, load, plain, write_files

PARIS = ZoneInfo("Europe/Paris")
WINTER_NOW = "2026-11-23T10:00:00"  # +01:00 in Paris
SUMMER_NOW = "2026-07-01T12:00:00"  # +02:00 in Paris

# git must not read the developer's ~/.gitconfig (whose user.email could name a member);
# CRM_USER must not leak in from the shell either.
ENV = {
    "CRM_NOW": WINTER_NOW,
    "CRM_USER": "",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}

# The base workspace of conftest, reshaped for editing: three members with three roles,
# a Negotiations stage, a multi-select, a multi-reference, and a third project (contacts)
# that refers to clients, so a rename has references in two other projects to rewrite.
FILES: dict[str, str | bytes | None] = {
    "crm.yaml": """
        name: Test Agency
        locale: fr_FR
        currency: EUR
        timezone: Europe/Paris
        members:
          alice: {name: Alice Martin, email: alice@agency.example, role: manager}
          bruno: {name: Bruno Petit, email: bruno@agency.example, role: sales}
          karim: {name: Karim Benali, email: karim@agency.example, role: junior}
        roles:
          manager: {}
          sales: {}
          junior:
            hidden: [opportunities.cost, opportunities.profit]
            read_only: [opportunities.amount]
    """,
    "opportunities/_project.yaml": """
        name: Opportunities
        record_name: Deal
        lists:
          - {name: Lead, probability: 0.1}
          - {name: Proposal sent, probability: 0.5, max_days: 14}
          - {name: Negotiations, probability: 0.7}
          - {name: Won, outcome: won}
          - {name: Lost, outcome: lost}
        tags: [website, seo]
        fields:
          amount: {type: currency}
          cost: {type: currency}
          profit: {type: formula, expr: "amount - cost", format: currency}
          close_date: {type: date}
          services: {type: multi_select, options: [SEO, Website, Branding]}
          client: {type: reference, project: clients, required: true}
          partners: {type: reference, project: clients, multiple: true}
          client_email: {type: lookup, through: client, field: email}
          lost_reason: {type: select, options: [Price, Timing], required_in: [Lost]}
    """,
    "opportunities/acme-website.yaml": """
        # Acme's new site
        name: Acme — Website
        list: Proposal sent
        tags: [website]
        assignee: alice
        client: acme
        amount: 12000
        cost: 7000
        history:
          - {list: Lead, at: 2026-10-01T09:00:00+02:00, by: alice}
          - {list: Proposal sent, at: 2026-10-20T16:40:00+02:00, by: alice}
    """,
    "opportunities/globex-seo.yaml": """
        name: Globex — SEO
        list: Lead
        client: globex
        partners: [acme, twin]
    """,
    "clients/globex.yaml": """
        name: Globex Industries
        list: Clients
    """,
    "clients/twin.yaml": """
        name: Twin
        list: Clients
    """,
    "clients/twin-2.yaml": """
        name: Twin
        list: Clients
    """,
    "contacts/_project.yaml": """
        name: Contacts
        record_name: Person
        lists: [Contacts]
        fields:
          company: {type: reference, project: clients}
    """,
    "contacts/jane.yaml": """
        name: Jane Doe
        list: Contacts
        company: acme
    """,
}

DEAL = "opportunities/acme-website"


@pytest.fixture
def ws(workspace):
    return workspace(FILES)


def run(root: Path | None, *args: str, **env: str) -> Run:
    """`crm -C root ARGS` through the `crm` script's entry point, in this process."""
    prefix = ("-C", root) if root is not None else ()
    return crm_in_process(*prefix, *args, env={**ENV, **env})


def run_process(root: Path | None, *args: str, **env: str) -> Run:
    """`crm -C root ARGS` in a subprocess."""
    prefix = ("-C", str(root)) if root is not None else ()
    return crm(*prefix, *args, env={**ENV, **env})


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file of the workspace (but local state), to prove that nothing was written."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".crm" not in p.parts and ".git" not in p.parts
    }


def temp_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*.tmp") if ".git" not in p.parts]


def git(root: Path, *args: str) -> str:
    return repos.git(root, *args, env=ENV)


def make_repo(root: Path, email: str = "ci@agency.example") -> None:
    (root / ".gitignore").write_text(".crm/\n", encoding="utf-8")
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Test User")
    git(root, "config", "user.email", email)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial")


def assert_check_passes(root: Path) -> None:
    """What `crm check` decides its exit code on: no error in the workspace."""
    errors = [p for p in check(root).problems if p.is_error]
    assert errors == []


# 1. crm init


def test_init_creates_an_empty_workspace_that_passes_check(tmp_path):
    target = tmp_path / "agency"
    result = run(None, "init", str(target))
    assert result.returncode == 0, result.stderr
    assert (target / "crm.yaml").is_file()
    assert ".crm/" in (target / ".gitignore").read_text(encoding="utf-8").splitlines()
    projects = sorted(p.parent.name for p in target.glob("*/_project.yaml"))
    assert {"clients", "opportunities"} <= set(projects)
    records = [p for p in target.glob("*/*.yaml") if not p.name.startswith("_")]
    records = [p for p in records if p.parent.name != "dashboards"]
    assert records == []
    checked = run_process(target, "check")  # the real command, its real exit code
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_init_keeps_an_existing_gitignore(tmp_path):
    target = tmp_path / "agency"
    target.mkdir()
    (target / ".gitignore").write_text("*.pyc\n", encoding="utf-8")
    assert run(None, "init", str(target)).returncode == 0
    assert (target / ".gitignore").read_text(encoding="utf-8").splitlines() == ["*.pyc", ".crm/"]


def test_init_with_examples_includes_sample_records(tmp_path):
    target = tmp_path / "demo"
    assert run(None, "init", str(target), "--with-examples").returncode == 0
    assert len(list((target / "clients").glob("[!_]*.yaml"))) >= 2
    assert len(list((target / "opportunities").glob("[!_]*.yaml"))) >= 3
    assert_check_passes(target)


def test_init_refuses_an_existing_workspace_and_unknown_templates(tmp_path, ws):
    before = snapshot(ws)
    result = run(None, "init", str(ws))
    assert result.returncode == 1
    assert "already a crm workspace" in result.stderr
    assert snapshot(ws) == before

    target = tmp_path / "other"
    result = run_process(None, "init", str(target), "--template", "nope")
    assert result.returncode == 2
    assert "unknown template" in result.stderr and "sales" in result.stderr
    assert not target.exists()


# 2. crm add


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Société Générale", "societe-generale"), ("Ромашка", "romashka")],
)
def test_add_makes_an_ascii_slug_id(ws, name, expected):
    result = run_process(ws, "add", "clients", name, "--print-id", "--as", "alice")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"clients/{expected}\n"  # only the id: for scripts
    assert load(ws, f"clients/{expected}.yaml")["name"] == name


def test_add_suffixes_an_id_already_taken(ws):
    first = run(ws, "add", "clients", "ACME", "--print-id")
    second = run(ws, "add", "clients", "Acme!", "--print-id")
    assert (first.stdout, second.stdout) == ("clients/acme-2\n", "clients/acme-3\n")
    assert load(ws, "clients/acme.yaml")["email"] == "contact@acme.example"  # untouched
    assert load(ws, "clients/acme-2.yaml")["name"] == "ACME"


def test_add_writes_options_created_and_first_history_entry(ws):
    result = run(
        ws,
        "add",
        "opportunities",
        "Globex — Branding",
        "--list",
        "proposal sent",
        "--tag",
        "seo",
        "--tag",
        "website",
        "--assignee",
        "Bruno Petit",
        "--set",
        "client=globex",
        "--set",
        "amount=12 000",
        "--as",
        "alice",
    )
    assert result.returncode == 0, result.stderr
    assert "opportunities/globex-branding" in result.stdout
    text = (ws / "opportunities/globex-branding.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    at = datetime(2026, 11, 23, 10, 0, tzinfo=PARIS)
    assert data == {
        "name": "Globex — Branding",
        "list": "Proposal sent",
        "tags": ["seo", "website"],
        "assignee": "bruno",
        "amount": 12000,
        "client": "globex",
        "created": at,
        "history": [{"list": "Proposal sent", "at": at, "by": "alice"}],
    }
    assert "created: 2026-11-23T10:00:00+01:00" in text
    assert_check_passes(ws)


def test_add_defaults_to_the_first_list(ws):
    assert run(ws, "add", "opportunities", "Small deal", "--set", "client=acme").returncode == 0
    data = load(ws, "opportunities/small-deal.yaml")
    assert data["list"] == "Lead"
    assert [entry["list"] for entry in data["history"]] == ["Lead"]
    assert "by" not in data["history"][0]  # nobody identified: no invented author


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "client"),  # required reference missing
        (("--set", "client=nobody"), "nobody"),  # reference to a missing record
        (("--set", "client=acme", "--tag", "print"), "print"),  # unknown tag
        (("--set", "client=acme", "--list", "Someday"), "Someday"),  # unknown list
        (("--set", "client=acme", "--set", "amount=lots"), "lots"),  # not a number
    ],
)
def test_add_of_an_invalid_record_writes_nothing(ws, args, message):
    before = snapshot(ws)
    result = run(ws, "add", "opportunities", "Broken deal", *args, "--as", "alice")
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(ws) == before
    assert temp_files(ws) == []


# 3. crm move


def test_move_appends_history_in_the_workspace_time_zone(ws):
    result = run_process(ws, "move", DEAL, "negotiations", "--as", "bruno", CRM_NOW=SUMMER_NOW)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{DEAL}: Proposal sent → Negotiations"
    text = (ws / "opportunities/acme-website.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert data["list"] == "Negotiations"
    assert len(data["history"]) == 3  # appended, the old entries kept
    assert data["history"][-1] == {
        "list": "Negotiations",
        "at": datetime(2026, 7, 1, 12, 0, tzinfo=PARIS),
        "by": "bruno",
    }
    assert "at: 2026-07-01T12:00:00+02:00, by: bruno}" in text  # summer offset of Paris


def test_move_writes_the_time_in_the_workspace_zone_whatever_the_clock_zone(ws):
    result = run(ws, "move", DEAL, "Negotiations", CRM_NOW="2026-11-23T09:00:00+00:00")
    assert result.returncode == 0, result.stderr
    text = (ws / "opportunities/acme-website.yaml").read_text(encoding="utf-8")
    assert "{list: Negotiations, at: 2026-11-23T10:00:00+01:00}" in text


def test_move_with_the_real_clock_is_timezone_aware(ws):
    before = datetime.now(PARIS)
    result = run(ws, "move", DEAL, "Negotiations", "--as", "alice", CRM_NOW="")
    assert result.returncode == 0, result.stderr
    at = load(ws, "opportunities/acme-website.yaml")["history"][-1]["at"]
    assert at.tzinfo is not None
    assert at.utcoffset() == before.utcoffset()
    assert before - timedelta(seconds=2) <= at <= datetime.now(PARIS)


def test_move_refuses_a_missing_required_in_value_unless_given(ws):
    before = snapshot(ws)
    result = run(ws, "move", DEAL, "Lost", "--as", "alice")
    assert result.returncode == 1
    assert "lost reason is required in “Lost”" in result.stderr
    assert "nothing was written" in result.stderr
    assert snapshot(ws) == before

    result = run(ws, "move", DEAL, "Lost", "--set", "lost_reason=Price", "--as", "alice")
    assert result.returncode == 0, result.stderr
    data = load(ws, "opportunities/acme-website.yaml")
    assert (data["list"], data["lost_reason"]) == ("Lost", "Price")
    assert data["history"][-1]["list"] == "Lost"
    assert_check_passes(ws)


# 4. crm set: values by type, in fr_FR


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("13000", 13000),
        ("12 000,50", 12000.5),
        ("12\u202f000,50", 12000.5),  # the narrow no-break space fr_FR itself prints
        ("12,000.50", 12000.5),
        ("12 000,50 €", 12000.5),
    ],
)
def test_set_reads_numbers_in_the_locale_and_plain(ws, typed, stored):
    result = run(ws, "set", DEAL, f"amount={typed}", "--as", "alice")
    assert result.returncode == 0, result.stderr
    assert load(ws, "opportunities/acme-website.yaml")["amount"] == stored


@pytest.mark.parametrize("typed", ["2026-12-31", "31/12/2026"])
def test_set_reads_iso_and_locale_dates(ws, typed):
    result = run(ws, "set", DEAL, f"close_date={typed}")
    assert result.returncode == 0, result.stderr
    text = (ws / "opportunities/acme-website.yaml").read_text(encoding="utf-8")
    assert "close_date: 2026-12-31\n" in text
    assert load(ws, "opportunities/acme-website.yaml")["close_date"] == date(2026, 12, 31)


def test_set_reads_comma_lists_and_references_by_id_or_name(ws):
    result = run(
        ws,
        "set",
        DEAL,
        "services=seo, Website",
        "partners=twin-2,GLOBEX industries",
        "client=globex industries",
    )
    assert result.returncode == 0, result.stderr
    data = load(ws, "opportunities/acme-website.yaml")
    assert data["services"] == ["SEO", "Website"]
    assert data["partners"] == ["twin-2", "globex"]
    assert data["client"] == "globex"
    assert_check_passes(ws)


def test_set_refuses_an_ambiguous_name_listing_the_ids(ws):
    # "twin" is an id: an id wins over names (references by id, else by exact name)
    assert run(ws, "set", DEAL, "client=twin").returncode == 0
    assert load(ws, "opportunities/acme-website.yaml")["client"] == "twin"
    write_files(ws, {"clients/umbrella-paris.yaml": "name: Umbrella\nlist: Clients\n"})
    write_files(ws, {"clients/umbrella-lyon.yaml": "name: umbrella\nlist: Clients\n"})
    before = snapshot(ws)
    # "TWIN" is a name, shared by twin and twin-2; "Umbrella" by two hand-named ids
    for typed, ids in (
        ("acme,TWIN ", "twin, twin-2"),
        ("Umbrella", "umbrella-lyon, umbrella-paris"),
    ):
        result = run(ws, "set", DEAL, f"partners={typed}")
        assert result.returncode == 1
        assert f"several Clients are named “{typed.split(',')[-1].strip()}”: {ids}" in result.stderr
        assert "give the id" in result.stderr
        assert snapshot(ws) == before


@pytest.mark.parametrize("field", ["profit", "client_email"])
def test_set_refuses_computed_fields(ws, field):
    before = snapshot(ws)
    result = run(ws, "set", DEAL, f"{field}=1")
    assert result.returncode == 1
    assert "computed" in result.stderr
    assert snapshot(ws) == before
    assert run(ws, "set", DEAL, "--unset", field).returncode == 2
    assert snapshot(ws) == before


def test_set_unset_removes_the_key(ws):
    result = run(ws, "set", DEAL, "--unset", "cost", "--as", "alice")
    assert result.returncode == 0, result.stderr
    data = load(ws, "opportunities/acme-website.yaml")
    assert "cost" not in data
    assert data["amount"] == 12000
    text = (ws / "opportunities/acme-website.yaml").read_text(encoding="utf-8")
    assert text.startswith("# Acme's new site\n")  # the rest of the file is kept


# 5. crm rename and crm rm


def test_rename_rewrites_every_reference_across_projects(ws):
    original = (ws / "clients/acme.yaml").read_bytes()
    result = run(ws, "rename", "clients/acme", "acme-corp")
    assert result.returncode == 0, result.stderr
    assert "3 references" in result.stdout
    assert not (ws / "clients/acme.yaml").exists()
    assert (ws / "clients/acme-corp.yaml").read_bytes() == original
    assert load(ws, "opportunities/acme-website.yaml")["client"] == "acme-corp"
    assert load(ws, "opportunities/globex-seo.yaml")["partners"] == ["acme-corp", "twin"]
    assert load(ws, "contacts/jane.yaml")["company"] == "acme-corp"
    all_text = "".join(
        p.read_text(encoding="utf-8") for p in ws.rglob("*.yaml") if ".crm" not in p.parts
    )
    assert "acme\n" not in all_text and "[acme," not in all_text
    assert temp_files(ws) == []
    assert_check_passes(ws)


@pytest.mark.parametrize("new_id", ["twin", "Acme Corp", "../acme"])
def test_rename_refuses_a_taken_or_invalid_id(ws, new_id):
    before = snapshot(ws)
    result = run(ws, "rename", "clients/acme", new_id)
    assert result.returncode == 2
    assert snapshot(ws) == before


def test_rm_refuses_a_referenced_record_listing_referrers_unless_forced(ws):
    before = snapshot(ws)
    result = run(ws, "rm", "clients/acme")
    assert result.returncode == 1
    for referrer in ("opportunities/acme-website", "opportunities/globex-seo", "contacts/jane"):
        assert referrer in result.stderr
    assert "--force" in result.stderr
    assert snapshot(ws) == before

    result = run(ws, "rm", "clients/acme", "--force")
    assert result.returncode == 0, result.stderr
    assert not (ws / "clients/acme.yaml").exists()
    assert "contacts/jane" in result.stderr  # warned about what now dangles


def test_rm_of_an_unreferenced_record(ws):
    result = run(ws, "rm", "clients/twin-2")
    assert result.returncode == 0, result.stderr
    assert not (ws / "clients/twin-2.yaml").exists()
    assert_check_passes(ws)


# 6. Atomic and concurrent-safe


def _parallel(root: Path, commands: list[list[str]]) -> list[tuple[int, str, str]]:
    env = {**os.environ, **ENV}
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "crmcli", "-C", str(root), *command],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for command in commands
    ]  # every process is started before any is waited on
    results = []
    for process in processes:
        stdout, stderr = process.communicate(timeout=60)
        results.append((process.returncode, stdout, stderr))
    return results


def test_parallel_adds_of_the_same_name_give_distinct_ids(ws):
    results = _parallel(ws, [["add", "clients", "Same Name", "--print-id"]] * 8)
    assert [code for code, _, _ in results] == [0] * 8, [err for _, _, err in results]
    ids = {out.strip() for _, out, _ in results}
    assert ids == {"clients/same-name"} | {f"clients/same-name-{n}" for n in range(2, 9)}
    for ref in ids:
        data = load(ws, ref + ".yaml")
        assert data["name"] == "Same Name"
        assert data["list"] == "Clients"
    assert temp_files(ws) == []
    assert_check_passes(ws)


def test_parallel_sets_on_one_record_lose_no_update(ws):
    assignments = [
        "amount=13000",
        "cost=8000",
        "close_date=2026-12-31",
        "services=SEO",
        "partners=globex",
        "tags=seo,website",
    ]
    results = _parallel(ws, [["set", DEAL, a, "--as", "alice"] for a in assignments])
    assert [code for code, _, _ in results] == [0] * 6, [err for _, _, err in results]
    data = load(ws, "opportunities/acme-website.yaml")
    assert (data["amount"], data["cost"], data["close_date"]) == (13000, 8000, date(2026, 12, 31))
    assert (data["services"], data["partners"], data["tags"]) == (
        ["SEO"],
        ["globex"],
        ["seo", "website"],
    )
    assert temp_files(ws) == []


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_writer_refuses_a_file_changed_since_it_was_read(tmp_path):
    path = tmp_path / "deal.yaml"
    path.write_text("name: Deal\namount: 1\n", encoding="utf-8")
    stale = _sha(path)
    path.write_text("name: Deal\namount: 2  # edited by hand meanwhile\n", encoding="utf-8")
    with pytest.raises(CrmError, match="changed by someone else"):
        write_atomically(path, "name: Deal\namount: 3\n", stale)
    assert path.read_text(encoding="utf-8").endswith("# edited by hand meanwhile\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deal.yaml"]

    with pytest.raises(CrmError, match="already exists"):
        write_atomically(path, "name: Other\n", None)  # None: a new file is expected

    write_atomically(path, "name: Deal\namount: 3\n", _sha(path))
    assert path.read_text(encoding="utf-8") == "name: Deal\namount: 3\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deal.yaml"]


def test_writer_leaves_no_temp_file_when_writing_fails(tmp_path, monkeypatch):
    path = tmp_path / "deal.yaml"
    path.write_text("name: Deal\n", encoding="utf-8")

    def broken_fsync(descriptor: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="No space"):
        write_atomically(path, "name: Deal\namount: 3\n", _sha(path))
    assert path.read_text(encoding="utf-8") == "name: Deal\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deal.yaml"]


def test_editor_refuses_when_the_record_changes_between_read_and_write(ws, monkeypatch):
    """The sha256 guard end to end: a hand edit lands after `crm set` read the file."""
    from crmcli.editing import editor as edit

    monkeypatch.setenv("CRM_NOW", WINTER_NOW)
    opened = edit.RecordFile.open

    def open_then_someone_edits(path: Path, relative: str):
        document = opened(path, relative)
        with path.open("a", encoding="utf-8") as handle:
            handle.write("# a concurrent hand edit\n")
        return document

    monkeypatch.setattr(edit.RecordFile, "open", staticmethod(open_then_someone_edits))
    editor = edit.Editor(ws, "alice")
    with pytest.raises(CrmError, match="changed by someone else"):
        editor.set(DEAL, ["amount=99"])
    text = (ws / "opportunities/acme-website.yaml").read_text(encoding="utf-8")
    assert "amount: 12000\n" in text and text.endswith("# a concurrent hand edit\n")
    assert temp_files(ws) == []


# 7. Acting member and permissions


def test_acting_member_from_as_then_crm_user(ws):
    assert run(ws, "move", DEAL, "Negotiations", "--as", "Bruno Petit").returncode == 0
    assert run(ws, "move", DEAL, "Won", CRM_USER="karim").returncode == 0
    # --as wins over CRM_USER
    assert run(ws, "move", DEAL, "Lead", "--as", "alice", CRM_USER="karim").returncode == 0
    history = load(ws, "opportunities/acme-website.yaml")["history"]
    assert [(e["list"], e["by"]) for e in history[-3:]] == [
        ("Negotiations", "bruno"),
        ("Won", "karim"),
        ("Lead", "alice"),
    ]


def test_acting_member_from_git_user_email(ws):
    make_repo(ws, email="Bruno@Agency.Example")
    result = run(ws, "add", "clients", "Initech", "--print-id")
    assert result.returncode == 0, result.stderr
    assert load(ws, "clients/initech.yaml")["history"][0]["by"] == "bruno"


def test_unknown_member_is_refused(ws):
    before = snapshot(ws)
    result = run(ws, "move", DEAL, "Negotiations", "--as", "zoe")
    assert result.returncode == 2
    assert "zoe" in result.stderr and "not a member" in result.stderr
    assert snapshot(ws) == before


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (("set", DEAL, "amount=13000", "--as", "karim"), {}),
        (("set", DEAL, "--unset", "amount"), {"CRM_USER": "karim"}),
        (("move", DEAL, "Won", "--set", "amount=1", "--as", "karim"), {}),
        (
            ("add", "opportunities", "Junior deal", "--set", "client=acme", "--set", "amount=5"),
            {"CRM_USER": "karim"},
        ),
    ],
)
def test_read_only_fields_are_refused_for_the_role(ws, args, env):
    before = snapshot(ws)
    result = run(ws, *args, **env)
    assert result.returncode == 1
    assert "Karim Benali (junior) may not change amount" in result.stderr
    assert "nothing was written" in result.stderr
    assert snapshot(ws) == before


def test_read_only_leaves_other_fields_editable(ws):
    result = run(ws, "set", DEAL, "close_date=2026-12-31", "--as", "karim")
    assert result.returncode == 0, result.stderr
    result = run(ws, "set", DEAL, "amount=13000", "--as", "bruno")  # sales may
    assert result.returncode == 0, result.stderr


def test_show_hides_fields_hidden_from_the_role(ws):
    shown = run_process(ws, "show", DEAL, "--as", "alice")
    assert shown.returncode == 0, shown.stderr
    for seen in ("cost", "7 000", "profit", "5 000"):
        assert seen in plain(shown.stdout)
    for how in ({"args": ("--as", "karim")}, {"env": {"CRM_USER": "karim"}}):
        shown = run_process(ws, "show", DEAL, *how.get("args", ()), **how.get("env", {}))
        assert shown.returncode == 0, shown.stderr
        assert "12 000" in plain(shown.stdout)  # amount: read-only for juniors, not hidden
        for unseen in ("cost", "7 000", "profit", "5 000"):
            assert unseen not in plain(shown.stdout)
    as_json = run_process(ws, "show", DEAL, "--as", "karim", "--format", "json")
    assert as_json.returncode == 0, as_json.stderr
    fields = json.loads(as_json.stdout)["fields"]
    assert "amount" in fields and "cost" not in fields and "profit" not in fields


def test_list_refuses_hidden_columns_filters_and_sorts(ws):
    ok = run_process(
        ws, "list", "opportunities", "-c", "id,cost,profit", "--format", "json", "--as", "alice"
    )
    assert ok.returncode == 0, ok.stderr
    assert {"id": "acme-website", "cost": 7000, "profit": 5000} in json.loads(ok.stdout)

    default = run_process(ws, "list", "opportunities", "--as", "karim")
    assert default.returncode == 0, default.stderr
    assert "acme-website" in default.stdout

    for args in (
        ("-c", "name,cost"),
        ("-c", "profit", "--format", "json"),
        ("--where", "cost > 1000"),
        ("--sort", "-profit"),
    ):
        refused = run_process(ws, "list", "opportunities", *args, "--as", "karim")
        assert refused.returncode == 2, args
        assert "hidden from the junior role" in refused.stderr
        assert refused.stdout == ""
    # through a backlink: clients → opportunities.cost is still the hidden field
    refused = run_process(
        ws, "list", "clients", "--where", "opportunities.cost > 0", "--as", "karim"
    )
    assert refused.returncode == 2
    assert "opportunities.cost" in refused.stderr


# 8. --commit


def test_commit_contains_exactly_the_touched_file_with_a_business_message(tmp_path, ws):
    make_repo(tmp_path)  # the workspace is the folder ws/ inside the repository
    (ws / "clients/acme.yaml").write_text("name: Acme\nlist: Clients\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("staged, not ours\n", encoding="utf-8")
    git(tmp_path, "add", "notes.txt")

    result = run_process(ws, "move", DEAL, "Negotiations", "--as", "alice", "--commit")
    assert result.returncode == 0, result.stderr
    message = f"{DEAL}: Proposal sent → Negotiations"
    assert result.stdout.rstrip().endswith(message)
    assert git(tmp_path, "log", "-1", "--format=%B").strip() == message
    assert git(tmp_path, "show", "--name-only", "--format=", "HEAD").split() == [
        "ws/opportunities/acme-website.yaml"
    ]
    assert int(git(tmp_path, "rev-list", "--count", "HEAD")) == 2
    status = git(tmp_path, "status", "--porcelain").splitlines()
    assert sorted(status) == [" M ws/clients/acme.yaml", "A  notes.txt"]


def test_commit_of_add_and_set(ws):
    make_repo(ws)
    result = run(ws, "add", "clients", "Initech", "--as", "alice", "--commit")
    assert result.returncode == 0, result.stderr
    assert git(ws, "show", "--name-status", "--format=%s", "HEAD").split("\n")[:3] == [
        "clients/initech: new Company “Initech” in Clients",
        "",
        "A\tclients/initech.yaml",
    ]
    result = run(ws, "set", DEAL, "amount=13000", "--as", "alice", "--commit")
    assert result.returncode == 0, result.stderr
    subject = git(ws, "log", "-1", "--format=%s")
    assert subject.startswith(f"{DEAL}: ") and "13" in subject
    assert git(ws, "show", "--name-only", "--format=", "HEAD").split() == [
        "opportunities/acme-website.yaml"
    ]
    assert git(ws, "status", "--porcelain", "--untracked-files=no") == ""


def test_commit_of_rename_holds_old_and_new_paths_and_the_references(ws):
    make_repo(ws)
    (ws / "clients/globex.yaml").write_text("name: Globex Industries\nlist: Clients\n# wip\n")
    result = run(ws, "rename", "clients/acme", "acme-corp", "--commit")
    assert result.returncode == 0, result.stderr
    changes = git(ws, "show", "--no-renames", "--name-status", "--format=", "HEAD").split("\n")
    assert sorted(line for line in changes if line) == [
        "A\tclients/acme-corp.yaml",
        "D\tclients/acme.yaml",
        "M\tcontacts/jane.yaml",
        "M\topportunities/acme-website.yaml",
        "M\topportunities/globex-seo.yaml",
    ]
    assert "clients/acme → clients/acme-corp" in git(ws, "log", "-1", "--format=%s")
    assert git(ws, "status", "--porcelain", "--untracked-files=no") == " M clients/globex.yaml\n"


def test_commit_outside_a_git_repository_reports_the_edit_is_written_not_committed(ws):
    """Decision: the edit is made first, then committed. When the commit cannot be made the
    change stays on disk (like any edit without --commit), and the error says so: exit 1."""
    result = run_process(ws, "move", DEAL, "Negotiations", "--as", "alice", "--commit")
    assert result.returncode == 1
    assert "not inside a git repository" in result.stderr
    assert f"{DEAL}: Proposal sent → Negotiations: written, but not committed" in result.stderr
    assert load(ws, "opportunities/acme-website.yaml")["list"] == "Negotiations"


# 9. Fast start


def test_add_move_and_set_do_not_import_heavy_modules(ws):
    """Run the three commands in one process and record every attempt to import a heavy
    module — attempts too, so the test holds where those packages are not installed."""
    heavy = ("matplotlib", "jinja2", "openpyxl", "pandas", "numpy", "apprise", "jsonschema")
    script = textwrap.dedent(
        f"""
        import sys
        HEAVY = {heavy!r}
        attempted = set()

        class Spy:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in HEAVY:
                    attempted.add(name.split(".")[0])
                return None

        sys.meta_path.insert(0, Spy())
        from crmcli.cli.main import for_command

        root = {str(ws)!r}
        for args in (
            ["add", "opportunities", "Fast deal", "--set", "client=acme", "--as", "alice"],
            ["move", "opportunities/fast-deal", "Proposal sent", "--as", "alice"],
            ["set", "opportunities/fast-deal", "amount=12 000,50", "--as", "alice"],
        ):
            for_command(args)(["-C", root, *args], standalone_mode=False)
        loaded = {{m.split(".")[0] for m in sys.modules}}
        print(sorted(attempted | (loaded & set(HEAVY))))
        """
    )
    completed = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, **ENV},
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.splitlines()[-1] == "[]"
    data = load(ws, "opportunities/fast-deal.yaml")
    assert (data["list"], data["amount"]) == ("Proposal sent", 12000.5)


def test_setting_the_same_value_writes_and_commits_nothing(tmp_path, ws):
    make_repo(tmp_path)
    before = (ws / f"{DEAL}.yaml").read_bytes()
    head = git(tmp_path, "rev-parse", "HEAD")
    result = run_process(ws, "set", DEAL, "amount=12000", "--as", "alice", "--commit")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{DEAL}: nothing changed"
    assert (ws / f"{DEAL}.yaml").read_bytes() == before
    assert git(tmp_path, "rev-parse", "HEAD") == head


def test_write_all_writes_nothing_when_one_file_is_stale(tmp_path):
    from crmcli.editing.atomic import PendingWrite, sha256
    from crmcli.editing.journal import write_all
    from crmcli.errors import CrmError

    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text("name: A\n", encoding="utf-8")
    second.write_text("name: B\n", encoding="utf-8")
    read_first = sha256(first.read_bytes())
    second.write_text("name: B, edited by hand meanwhile\n", encoding="utf-8")
    stale = sha256(b"name: B\n")
    with pytest.raises(CrmError, match="changed by someone else"):
        write_all(
            tmp_path,
            [
                PendingWrite(first, "name: A2\n", read_first),
                PendingWrite(second, "name: B2\n", stale),
            ],
        )
    assert first.read_text(encoding="utf-8") == "name: A\n"  # not half a rename
    assert sorted(p.name for p in tmp_path.iterdir()) == [".crm", "a.yaml", "b.yaml"]
    assert not (tmp_path / ".crm" / "journal").exists()
