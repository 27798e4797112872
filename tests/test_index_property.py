"""Whatever happens to the files between runs, the indexed answers are byte for byte those of
--no-cache: hand edits, crm set/move/add/rename/rm, schema changes, deletions, same-second
rewrites that keep the size and mtime, and git checkouts of another revision."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import BASE_FILES, crm_in_process, write_files
from tests.repos import git

COMMANDS = (
    ("check", "--format", "json"),
    ("show", "clients/acme"),
    ("show", "opportunities/acme-website", "--format", "json"),
    ("list", "clients", "--columns", "name,won_total,opportunities"),
    ("list", "opportunities", "--columns", "id,name,list,amount,profit,client_email"),
)
COMMITTER = ("-c", "user.name=Alice Martin", "-c", "user.email=alice@agency.example")
DEALS = ("acme-website", "acme-seo", "globex-app")
AMOUNTS = st.integers(min_value=0, max_value=99999)


def crm(root: Path, *args: str) -> tuple[int, str]:
    run = crm_in_process("-C", root, *args, env={"CRM_USER": "alice"})
    return run.returncode, run.stdout


def deal_file(root: Path, deal: str) -> Path:
    return root / "opportunities" / f"{deal}.yaml"


def hand_edit(root: Path, deal: str, amount: int) -> None:
    write_files(
        root,
        {
            f"opportunities/{deal}.yaml": f"""
                name: Deal {deal}
                list: Proposal sent
                client: {"globex" if deal.startswith("globex") else "acme"}
                amount: {amount}
                cost: 100
            """
        },
    )


def same_size_same_mtime(root: Path, deal: str, digit: int) -> None:
    """Rewrite a digit of the amount, then put the old mtime back (as some tools do)."""
    path = deal_file(root, deal)
    if not path.exists():
        return
    before = path.stat()
    text = path.read_text(encoding="utf-8")
    changed = text.replace("cost: 7000", f"cost: 700{digit}").replace(
        "cost: 100\n", f"cost: 10{digit}\n"
    )
    path.write_text(changed, encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def change_schema(root: Path, variant: int) -> None:
    expressions = ("amount - cost", "amount * 2", "amount + 1")
    schema = root / "opportunities" / "_project.yaml"
    text = schema.read_text(encoding="utf-8")
    for expression in expressions:
        text = text.replace(f'expr: "{expression}"', f'expr: "{expressions[variant]}"')
    schema.write_text(text, encoding="utf-8")


def commit(root: Path) -> None:
    git(root, "add", "-A")
    git(root, *COMMITTER, "commit", "-qm", "step", "--allow-empty")


def checkout_first(root: Path) -> None:
    first = git(root, "rev-list", "--max-parents=0", "HEAD").strip()
    git(root, "checkout", "-q", "-f", first)
    git(root, "clean", "-q", "-f", "-d")


OPERATIONS = st.one_of(
    st.tuples(st.just("hand_edit"), st.sampled_from(DEALS), AMOUNTS),
    st.tuples(st.just("same_size"), st.sampled_from(DEALS), st.integers(0, 9)),
    st.tuples(st.just("set"), st.sampled_from(DEALS), AMOUNTS),
    st.tuples(st.just("move"), st.sampled_from(DEALS), st.sampled_from(["Won", "Lead"])),
    st.tuples(st.just("add"), st.sampled_from(["Acme — Extra", "Globex — Extra"])),
    st.tuples(st.just("rename"), st.sampled_from(DEALS), st.sampled_from(["renamed", "other"])),
    st.tuples(st.just("rm"), st.sampled_from(DEALS)),
    st.tuples(st.just("delete"), st.sampled_from(DEALS)),
    st.tuples(st.just("unreadable"), st.sampled_from(DEALS)),
    st.tuples(st.just("schema"), st.integers(0, 2)),
    st.tuples(st.just("commit")),
    st.tuples(st.just("checkout")),
)


def apply(root: Path, operation: tuple) -> None:
    kind, *args = operation
    if kind == "hand_edit":
        hand_edit(root, *args)
    elif kind == "same_size":
        same_size_same_mtime(root, *args)
    elif kind == "set":
        crm(root, "set", f"opportunities/{args[0]}", f"amount={args[1]}")
    elif kind == "move":
        crm(root, "move", f"opportunities/{args[0]}", args[1])
    elif kind == "add":
        client = "acme" if args[0].startswith("Acme") else "globex"
        crm(root, "add", "opportunities", args[0], "--set", f"client={client}")
    elif kind == "rename":
        crm(root, "rename", f"opportunities/{args[0]}", args[1])
    elif kind == "rm":
        crm(root, "rm", f"opportunities/{args[0]}")
    elif kind == "delete":
        deal_file(root, args[0]).unlink(missing_ok=True)
    elif kind == "unreadable":
        deal_file(root, args[0]).write_text("name: [unclosed\n", encoding="utf-8")
    elif kind == "schema":
        change_schema(root, *args)
    elif kind == "commit":
        commit(root)
    else:
        checkout_first(root)


def new_workspace(folder: Path) -> Path:
    root = folder / "ws"
    root.mkdir()
    write_files(root, BASE_FILES)
    write_files(
        root,
        {
            "clients/globex.yaml": "name: Globex\nlist: Clients\nregion: Lyon\n",
            "opportunities/acme-seo.yaml": "name: Acme — SEO\nlist: Lead\nclient: acme\n",
            "opportunities/globex-app.yaml": (
                "name: Globex — App\nlist: Won\nclient: globex\namount: 5000\ncost: 100\n"
            ),
        },
    )
    git(root, "init", "-q")
    commit(root)
    return root


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.lists(OPERATIONS, min_size=1, max_size=6))
def test_indexed_answers_are_those_of_the_files(operations: list[tuple]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = new_workspace(Path(folder))
        assert [crm(root, *c) for c in COMMANDS]  # an index of the first state
        for operation in operations:
            apply(root, operation)
            expected = [crm(root, *c, "--no-cache") for c in COMMANDS]
            assert [crm(root, *c) for c in COMMANDS] == expected, operation
            assert [crm(root, *c) for c in COMMANDS] == expected, operation  # served
