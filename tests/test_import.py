"""`crm import` (issue 8): columns mapped by header, values typed in the workspace locale,
references by name or key field, upserts through the minimal-diff writer, dry runs, all or
nothing, Excel, the encodings and delimiters spreadsheets save, a progress bar on a terminal,
and the round trip export → import.

The workspace is conftest's (fr_FR; Clients and Opportunities), reshaped per test; CSV files
are written as bytes in the encoding under test. The clock is fixed and the acting member is
alice, so created records are predictable to the byte.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from crmcli.core.yamlio import parse
from crmcli.transfer.importing import ImportOptions, import_file

from .conftest import check, crm

NOW = "2026-11-23T10:00:00+01:00"
ENV = {"CRM_NOW": NOW, "CRM_USER": "alice", "GIT_CONFIG_GLOBAL": os.devnull}

OPPORTUNITIES = """
    name: Opportunities
    record_name: Deal
    lists:
      - {name: Lead, probability: 0.1}
      - {name: Proposal sent, probability: 0.5}
      - {name: Won, outcome: won}
      - {name: Lost, outcome: lost}
    tags: [website, seo]
    fields:
      amount: {type: currency}
      cost: {type: currency}
      profit: {type: formula, expr: "amount - cost", format: currency}
      close_date: {type: date, label: Date de clôture}
      source: {type: select, options: [Referral, Website, Cold call]}
      client: {type: reference, project: clients, required: true}
      client_email: {type: lookup, through: client, field: email}
      lost_reason: {type: select, options: [Price, Timing], required_in: [Lost]}
"""


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    return ENV


def records(root: Path, project: str) -> dict[str, dict]:
    """Every record of a project as the fast reader sees it, by id."""
    return {
        path.stem: parse(path.read_text(encoding="utf-8")).data
        for path in sorted((root / project).glob("*.yaml"))
        if not path.name.startswith("_")
    }


def csv_file(folder: Path, text: str, encoding: str = "utf-8", name: str = "rows.csv") -> Path:
    path = folder / name
    path.write_bytes(textwrap.dedent(text).lstrip("\n").encode(encoding))
    return path


# 1. columns and values


def test_headers_match_fields_ignoring_case_and_accents_and_values_are_typed(
    workspace, tmp_path, env
):
    root = workspace({"opportunities/_project.yaml": OPPORTUNITIES})
    table = csv_file(
        tmp_path,
        """
        NAME;List;TAGS;Assignee;Client;Amount;date de cloture;Source
        Initech — Site;proposal sent;Website;Alice Martin;ACME;12 000,50 €;31/12/2024;referral
        Initech — SEO;Won;seo, website;bruno;acme;1,234.50;2024-12-31;Cold call
        """,
        encoding="cp1252",
    )

    run = crm("-C", root, "import", "opportunities", table, env=env)

    assert run.returncode == 0, run.stderr
    assert "2 created, 0 updated, 0 unchanged, 0 rejected" in run.stdout
    assert "cp1252, “;”" in run.stdout
    assert (root / "opportunities/initech-site.yaml").read_text(encoding="utf-8") == (
        "name: Initech — Site\n"
        "list: Proposal sent\n"
        "tags: [website]\n"
        "assignee: alice\n"
        "amount: 12000.5\n"
        "close_date: 2024-12-31\n"
        "source: Referral\n"
        "client: acme\n"
        f"created: {NOW}\n"
        "history:\n"
        f"- {{list: Proposal sent, at: {NOW}, by: alice}}\n"
    )
    seo = records(root, "opportunities")["initech-seo"]
    assert seo["amount"] == 1234.5
    assert seo["tags"] == ["seo", "website"]
    assert seo["assignee"] == "bruno"
    assert not check(root).errors


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [
        ("utf-8", ","),
        ("utf-8-sig", ";"),
        ("cp1252", ";"),
        ("latin-1", ","),
        ("utf-16", "\t"),
    ],
)
def test_encoding_and_delimiter_are_sniffed(workspace, tmp_path, env, encoding, delimiter):
    root = workspace()
    names = ["Société Générale", "Crème & Brûlée", "Île-de-France Énergie"]
    lines = (
        ["name", *names]
        if delimiter == ","
        else [f"name{delimiter}region"] + [f"{name}{delimiter}Paris" for name in names]
    )
    table = csv_file(tmp_path, "\r\n".join(lines) + "\r\n", encoding)

    result = import_file(root, "clients", table, ImportOptions())

    assert result.created == 3, result.problems
    assert sorted(r["name"] for r in records(root, "clients").values()) == sorted([*names, "Acme"])


def test_columns_can_fill_name_list_tags_assignee_and_be_skipped(workspace, tmp_path, env):
    root = workspace()
    table = csv_file(
        tmp_path,
        """
        Company,deal_stage,service,owner,account,value,internal_note
        Initech — Brand,Proposal sent,website,Bruno Petit,Acme,8500,not for the CRM
        """,
    )

    run = crm(
        "-C", root, "import", "opportunities", table,
        "--map", "Company=name", "--map", "deal_stage=list", "--map", "service=tags",
        "--map", "owner=assignee", "--map", "account=client", "--map", "value=amount",
        "--map", "internal_note=",
        env=env,
    )  # fmt: skip

    assert run.returncode == 0, run.stderr
    deal = records(root, "opportunities")["initech-brand"]
    assert deal["list"] == "Proposal sent"
    assert deal["tags"] == ["website"]
    assert deal["assignee"] == "bruno"
    assert deal["client"] == "acme"
    assert deal["amount"] == 8500
    assert "not for the CRM" not in (root / "opportunities/initech-brand.yaml").read_text()


def test_a_mapping_file_holds_columns_value_fixes_references_and_defaults(workspace, tmp_path, env):
    root = workspace({"opportunities/_project.yaml": OPPORTUNITIES})
    table = csv_file(
        tmp_path,
        """
        deal,stage,contact,origin
        Initech — Site,Leed,contact@acme.example,Refferal
        """,
    )
    recipe = tmp_path / "pipeline.yaml"
    recipe.write_text(
        textwrap.dedent("""
            columns: {deal: name, stage: list, contact: client, origin: source}
            values: {Leed: Lead, Refferal: Referral}
            references: {client: email}
            tags: [seo]
        """),
        encoding="utf-8",
    )

    run = crm("-C", root, "import", "opportunities", table, "--mapping", recipe, env=env)

    assert run.returncode == 0, run.stderr
    deal = records(root, "opportunities")["initech-site"]
    assert (deal["list"], deal["source"], deal["client"], deal["tags"]) == (
        "Lead",
        "Referral",
        "acme",
        ["seo"],
    )


def test_a_mapping_file_with_an_unknown_key_is_refused_at_its_line(workspace, tmp_path, env):
    root = workspace()
    table = csv_file(tmp_path, "name\nInitech\n")
    recipe = tmp_path / "clients.yaml"
    recipe.write_text("columns: {name: name}\nvalue: {a: b}\n", encoding="utf-8")

    run = crm("-C", root, "import", "clients", table, "--mapping", recipe, env=env)

    assert run.returncode == 2
    assert f"{recipe}:2:1: unknown key “value” (did you mean “values”?)" in run.stderr
    assert list(records(root, "clients")) == ["acme"]


def test_default_list_and_tags_apply_to_every_new_record(workspace, tmp_path, env):
    root = workspace()
    table = csv_file(tmp_path, "name,client,tags\nA,acme,\nB,acme,seo\n")

    run = crm(
        "-C", root, "import", "opportunities", table, "--list", "won", "--tag", "website",
        env=env,
    )  # fmt: skip

    assert run.returncode == 0, run.stderr
    deals = records(root, "opportunities")
    assert (deals["a"]["list"], deals["a"]["tags"]) == ("Won", ["website"])
    assert (deals["b"]["list"], deals["b"]["tags"]) == ("Won", ["seo", "website"])


def test_unknown_options_and_unreadable_values_are_reported_by_row_and_column(
    workspace, tmp_path, env
):
    root = workspace({"opportunities/_project.yaml": OPPORTUNITIES})
    table = csv_file(
        tmp_path,
        """
        name,client,source,amount,close_date
        Good,acme,Website,100,2025-01-01
        Bad option,acme,Webinar,100,2025-01-01
        Bad number,acme,Website,a lot,2025-01-01
        Bad date,acme,Website,100,31/02/2025
        """,
    )

    run = crm("-C", root, "import", "opportunities", table, env=env, cwd=tmp_path)

    assert run.returncode == 1
    problems = [line for line in run.stderr.splitlines() if ": error[" in line]
    assert len(problems) == 3, run.stderr
    assert problems[0].startswith(f"{table.name}:3:3: error[invalid-value]: row 3, column “source”")
    assert "“Webinar” is not one of Referral, Website, or Cold call" in problems[0]
    assert problems[1].startswith(f"{table.name}:4:4: error[invalid-value]: row 4, column “amount”")
    assert "cannot read “a lot” as a number" in problems[1]
    assert problems[2].startswith(
        f"{table.name}:5:5: error[invalid-value]: row 5, column “close_date”"
    )
    assert "nothing was written: 3 rows rejected" in run.stderr
    assert list(records(root, "opportunities")) == ["acme-website"]


def test_an_unmatched_column_is_refused_with_the_way_to_map_or_skip_it(workspace, tmp_path, env):
    root = workspace()
    table = csv_file(tmp_path, "name,emial\nInitech,a@b.example\n")

    run = crm("-C", root, "import", "clients", table, env=env)

    assert run.returncode == 2
    assert "“emial” (did you mean “email”?)" in run.stderr
    assert '--map "HEADER=field"' in run.stderr
    assert "Traceback" not in run.stderr


# 2. references


def test_references_resolve_by_a_key_field(workspace, tmp_path, env):
    root = workspace()
    table = csv_file(tmp_path, "name,client\nDeal,CONTACT@acme.example\nOther,nobody@x.example\n")

    run = crm("-C", root, "import", "opportunities", table, "--ref", "client=email", env=env)

    assert run.returncode == 1
    assert "row 3, column “client”: client: no Company “nobody@x.example” in Clients" in run.stderr
    assert list(records(root, "opportunities")) == ["acme-website"]
    fixed = csv_file(tmp_path, "name,client\nDeal,CONTACT@acme.example\n", name="fixed.csv")
    run = crm("-C", root, "import", "opportunities", fixed, "--ref", "client=email", env=env)
    assert run.returncode == 0, run.stderr
    assert records(root, "opportunities")["deal"]["client"] == "acme"


# 3. upserts


ACME_BY_HAND = """\
# our oldest client
name: Acme
list: Clients
email: contact@acme.example   # the shared inbox
region: Paris
"""


def test_key_updates_matching_records_with_minimal_diffs_and_creates_the_others(
    workspace, tmp_path, env
):
    root = workspace({"clients/acme.yaml": ACME_BY_HAND})
    table = csv_file(
        tmp_path,
        """
        name,email,region
        Acme,Contact@Acme.example,Lyon
        Globex,info@globex.example,Paris
        """,
    )

    run = crm("-C", root, "import", "clients", table, "--key", "email", env=env)

    assert run.returncode == 0, run.stderr
    assert "1 created, 1 updated" in run.stdout
    assert (root / "clients/acme.yaml").read_text() == ACME_BY_HAND.replace(
        "region: Paris", "region: Lyon"
    )
    assert records(root, "clients")["globex"]["email"] == "info@globex.example"
    again = crm("-C", root, "import", "clients", table, "--key", "email", env=env)
    assert "0 created, 0 updated, 2 unchanged" in again.stdout


def test_a_new_list_through_an_upsert_is_recorded_in_the_history(workspace, tmp_path, env):
    root = workspace()
    table = csv_file(tmp_path, "id,list\nacme-website,Lost\n")

    run = crm("-C", root, "import", "opportunities", table, "--key", "id", env=env)
    assert run.returncode == 1  # Lost requires a reason
    assert "lost reason is required in “Lost”" in run.stderr

    table = csv_file(tmp_path, "id,list,lost_reason\nacme-website,Lost,price\n")
    run = crm("-C", root, "import", "opportunities", table, "--key", "id", env=env)

    assert run.returncode == 0, run.stderr
    deal = records(root, "opportunities")["acme-website"]
    assert deal["list"] == "Lost"
    assert deal["lost_reason"] == "Price"
    assert deal["history"][-1]["list"] == "Lost"
    assert deal["history"][-1]["by"] == "alice"


def test_duplicate_keys_in_the_file_are_reported(workspace, tmp_path, env):
    root = workspace()
    table = csv_file(
        tmp_path,
        """
        name,email
        Globex,info@globex.example
        Globex Corp,INFO@globex.example
        """,
    )

    run = crm("-C", root, "import", "clients", table, "--key", "email", env=env, cwd=tmp_path)

    assert run.returncode == 1
    assert (
        "rows.csv:3:2: error[duplicate-key]: row 3, column “email”: email “INFO@globex.example” "
        "is also on row 2: one row per record"
    ) in run.stderr
    assert list(records(root, "clients")) == ["acme"]


# 4. dry run, all or nothing, skipping


def test_dry_run_says_what_would_happen_and_writes_nothing(workspace, tmp_path, env):
    root = workspace()
    before = records(root, "clients")
    table = csv_file(
        tmp_path,
        """
        name,email,region
        Acme,contact@acme.example,Lyon
        Globex,info@globex.example,Paris
        Initech,not an address,Paris
        """,
    )

    run = crm(
        "-C", root, "import", "clients", table, "--key", "name", "--dry-run", env=env, cwd=tmp_path
    )

    assert run.returncode == 1
    assert run.stdout.splitlines() == [
        "row 2: would update clients/acme: region Paris → Lyon",
        "row 3: would create clients/globex: new Company “Globex” in Clients",
        "dry run, nothing written: 3 rows read (UTF-8, “,”): 1 created, 1 updated, "
        "0 unchanged, 1 rejected",
    ]
    assert "rows.csv:4:2: error[invalid-email]: row 4, column “email”" in run.stderr
    assert records(root, "clients") == before
    assert not (root / "clients/globex.yaml").exists()


def test_skip_invalid_imports_the_valid_rows_and_reports_the_others(workspace, tmp_path, env):
    root = workspace()
    table = csv_file(tmp_path, "name,client\nGood,acme\nBad,nobody\nAlso good,acme\n")

    run = crm("-C", root, "import", "opportunities", table, "--skip-invalid", env=env, cwd=tmp_path)

    assert run.returncode == 0, run.stderr
    assert "2 created, 0 updated, 0 unchanged, 1 rejected" in run.stdout
    assert "rows.csv:3:2: error[unresolved-reference]: row 3, column “client”" in run.stderr
    assert {"good", "also-good"} <= set(records(root, "opportunities"))
    assert "bad" not in records(root, "opportunities")


def test_a_read_only_field_is_refused_for_the_member_importing(workspace, tmp_path, env):
    root = workspace()
    table = csv_file(tmp_path, "name,client,amount\nDeal,acme,100\n")

    run = crm("-C", root, "import", "opportunities", table, "--as", "bruno", env=env)

    assert run.returncode == 1
    assert "may not change amount" in run.stderr
    assert list(records(root, "opportunities")) == ["acme-website"]


# 5. Excel


def test_xlsx_rows_are_imported_with_numbers_and_dates_as_excel_holds_them(
    workspace, tmp_path, env
):
    from datetime import datetime

    from openpyxl import Workbook

    root = workspace({"opportunities/_project.yaml": OPPORTUNITIES})
    workbook = Workbook()
    workbook.active.title = "Notes"
    sheet = workbook.create_sheet("Pipeline")
    sheet.append(["Name", "Client", "Amount", "Date de clôture", "Tags"])
    sheet.append(["Initech — Site", "Acme", 12000.5, datetime(2024, 12, 31), "website"])
    sheet.append(["Initech — SEO", "Acme", 900, None])  # Excel leaves out empty trailing cells
    path = tmp_path / "pipeline.xlsx"
    workbook.save(path)

    run = crm("-C", root, "import", "opportunities", path, "--sheet", "Pipeline", env=env)

    assert run.returncode == 0, run.stderr
    assert "sheet “Pipeline”" in run.stdout
    deals = records(root, "opportunities")
    assert deals["initech-site"]["amount"] == 12000.5
    assert deals["initech-site"]["close_date"].isoformat() == "2024-12-31"
    assert deals["initech-seo"]["amount"] == 900
    assert "close_date" not in deals["initech-seo"]
    wrong = crm("-C", root, "import", "opportunities", path, "--sheet", "Pipelin", env=env)
    assert wrong.returncode == 2
    assert "no sheet “Pipelin” (sheets: Notes, Pipeline) (did you mean “Pipeline”?)" in wrong.stderr


# 6. progress on a terminal


@pytest.mark.slow
def test_a_progress_bar_shows_on_a_terminal_for_a_large_file(workspace, tmp_path, env):
    import pty

    root = workspace()
    about = "A client imported to see the progress bar move along. " * 2
    rows = "".join(f"Client number {n:05d},{about}\n" for n in range(9_000))
    table = csv_file(tmp_path, "name,description\n" + rows)
    assert table.stat().st_size > 1_000_000
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "crmcli", "-C", str(root), "import", "clients", str(table),
         "--dry-run"],
        stdin=follower, stdout=subprocess.DEVNULL, stderr=follower,
        env={**os.environ, **env, "COLUMNS": "100"},
    )  # fmt: skip
    os.close(follower)
    screen = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        screen += chunk
    assert process.wait(timeout=120) == 0
    os.close(leader)
    text = screen.decode("utf-8", "replace")
    assert "importing" in text
    assert "%" in text
    piped = crm("-C", root, "import", "clients", table, "--dry-run", env=env)
    assert "importing" not in piped.stderr


# 7. round trip


@pytest.mark.slow
def test_export_to_csv_then_import_into_an_empty_workspace_gives_the_same_records(tmp_path, env):
    source, target = tmp_path / "source", tmp_path / "target"
    config = tmp_path / "gitconfig"  # crm init makes git's user the one member: alice
    config.write_text("[user]\n  name = Alice\n  email = alice@agency.example\n")
    env = {**env, "GIT_CONFIG_GLOBAL": str(config), "GIT_CONFIG_NOSYSTEM": "1"}
    assert crm("init", source, "--lang", "fr", "--with-examples", env=env).returncode == 0
    assert crm("init", target, "--lang", "fr", env=env).returncode == 0

    for project in ("clients", "opportunities", "delivery", "invoices"):
        exported = crm("-C", source, "export", project, "--format", "csv", env=env)
        assert exported.returncode == 0, exported.stderr
        table = tmp_path / f"{project}.csv"
        table.write_text(exported.stdout, encoding="utf-8")
        imported = crm("-C", target, "import", project, table, env=env)
        assert imported.returncode == 0, imported.stderr
        assert records(target, project) == records(source, project), project

    assert not check(target).errors


def test_import_writes_records_like_crm_add(workspace, tmp_path, env):
    """One way new records are written: an imported record is byte for byte what `crm add`
    writes for the same values."""
    root = workspace()
    added = crm(
        "-C", root, "add", "opportunities", "Initech — Brand book", "--list", "Proposal sent",
        "--tag", "website", "--assignee", "bruno", "--set", "client=acme", "--set", "amount=8 500",
        env=env,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    by_add = (root / "opportunities/initech-brand-book.yaml").read_text(encoding="utf-8")
    (root / "opportunities/initech-brand-book.yaml").unlink()
    table = csv_file(
        tmp_path,
        "name,list,tags,assignee,client,amount\n"
        "Initech — Brand book,Proposal sent,website,bruno,acme,8 500\n",
    )

    run = crm("-C", root, "import", "opportunities", table, env=env)

    assert run.returncode == 0, run.stderr
    assert (root / "opportunities/initech-brand-book.yaml").read_text(encoding="utf-8") == by_add
