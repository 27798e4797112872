"""Editing commands write minimal, reviewable diffs and refuse bad input without writing.

Issue 4, points 1-6 and its "Bad input" list. Every test here runs the real `crm` command line
in a subprocess on a real git repository, built in a temporary folder from a hand-written
workspace whose record files carry full-line and end-of-line comments, blank lines, single- and
double-quoted strings, flow and block lists (block ones with indented dashes) and an unusual key
order.

- Golden files: the `git diff` of each command is compared with tests/golden/editing/NAME.diff
  (`index abc..def` lines stripped). Regenerate with `UPDATE_GOLDEN=1 pytest
  tests/test_editing_diffs.py`, then read every diff by eye before committing it.
- Preservation: comments, key order, quoting, blank lines and flow/block style are asserted on
  the file text after every command.
- Bad input: exit code 2 for usage errors and 1 for refusals, a clear message, no traceback, and
  not a byte written (every file's bytes, inode and mtime, and the list of files).

The commands of a group run in parallel threads (each in its own workspace) to keep the module
fast; each case is still its own test.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from . import repos
from .conftest import Run, check, crm

GOLDEN = Path(__file__).parent / "golden" / "editing"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
NOW = "2026-11-23T10:00:00+01:00"
ENV = {
    "CRM_NOW": NOW,
    "CRM_USER": "alice",
    "GIT_CONFIG_GLOBAL": os.devnull,  # nothing of the machine's git config (colours, prefixes)
    "GIT_CONFIG_NOSYSTEM": "1",
    "LC_ALL": "C.UTF-8",
}
WORKERS = 4

# The hand-written workspace. Record files are written byte for byte (no dedent surprises).
FILES: dict[str, str] = {
    ".gitignore": ".crm/\n",
    "crm.yaml": """\
name: Test Agency
locale: fr_FR
currency: EUR
timezone: Europe/Paris
members:
  alice: {name: Alice Martin, email: alice@agency.example, role: manager}
  bruno: {name: Bruno Petit, email: bruno@agency.example, role: manager}
roles:
  manager: {}
""",
    "clients/_project.yaml": """\
name: Clients
record_name: Company
lists: [Clients]
fields:
  email: {type: email}
  region: {type: select, options: [Paris, Lyon]}
  opportunities: {type: referenced_by, from: opportunities.client}
""",
    "clients/acme.yaml": """\
# Acme: our oldest client
name: 'Acme'
list: Clients

email: "contact@acme.example"   # generic inbox
region: Paris
""",
    "clients/globex.yaml": """\
name: Globex
list: Clients
region: Lyon
""",
    "opportunities/_project.yaml": """\
name: Opportunities
record_name: Deal
lists:
  - {name: Lead, probability: 0.1}
  - {name: Proposal sent, probability: 0.5, max_days: 14}
  - {name: Won, outcome: won}
  - {name: Lost, outcome: lost}
tags: [website, seo]
fields:
  amount: {type: currency}
  cost: {type: currency}
  profit: {type: formula, expr: "amount - cost", format: currency}
  client: {type: reference, project: clients, required: true}
  client_email: {type: lookup, through: client, field: email}
  lost_reason: {type: select, options: [Price, Timing], required_in: [Lost]}
  partners: {type: reference, project: clients, multiple: true}
  close_date: {type: date}
  note: {type: text}
""",
    # Unusual order (amount first, list after a blank line), both quoting styles, comments,
    # a flow list, block lists with dashes indented by four spaces, a trailing comment.
    "opportunities/acme-website.yaml": """\
# Website redesign for Acme — signed off by the board
amount: 12000   # excl. VAT
name: "Acme — Website"
client: acme
tags: [website, seo]

list: Proposal sent
assignee: 'alice'
cost: 7000
note: 'keep it short'
partners:
    - acme
history:   # stage changes
    - {list: Lead, at: 2026-10-01T09:00:00+02:00, by: alice}
    - {list: Proposal sent, at: 2026-10-20T16:40:00+02:00, by: alice}

# end of record
""",
    # A flow list of references and a block list of tags (dashes at column 0).
    "opportunities/globex-seo.yaml": """\
name: Globex — SEO audit
list: Lead
client: "globex"
partners: [acme, globex]   # both sites
tags:
- seo
amount: 4500
""",
}

BROKEN_FILES: dict[str, str] = {
    # An unclosed flow list: not valid YAML.
    "opportunities/broken.yaml": "name: Broken\nlist: Lead\nclient: acme\namount: [12000\n",
    # Valid YAML, but a record cannot have the same key twice.
    "opportunities/twice.yaml": "name: Twice\nlist: Lead\nclient: acme\nclient: globex\n",
}


# helpers


def git(root: Path, *args: str) -> str:
    return repos.git(root, *args, env=ENV)


def make_repo(root: Path, extra: dict[str, str] | None = None) -> Path:
    """A real git repository holding the workspace, committed, with a repo-local identity."""
    root.mkdir(parents=True)
    for relative, text in {**FILES, **(extra or {})}.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
    git(root, "init", "-q")
    git(root, "config", "user.name", "Test Author")
    git(root, "config", "user.email", "author@tests.example")
    git(root, "config", "commit.gpgsign", "false")
    git(root, "config", "core.autocrlf", "false")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "hand-written workspace")
    return root


def run_crm(root: Path, *args: str) -> Run:
    return crm("-C", root, *args, env=ENV)


INDEX_LINE = re.compile(r"^index [0-9a-f]+\.\.[0-9a-f]+(?: \d+)?\n", re.MULTILINE)


def normalized(diff: str) -> str:
    """git diff without `index abc..def` lines, so blob hashes do not matter."""
    return INDEX_LINE.sub("", diff)


def worktree_diff(root: Path) -> str:
    return normalized(git(root, "diff", "--no-color"))


def staged_diff(root: Path) -> str:
    """For new and renamed files: stage everything, diff with rename detection."""
    git(root, "add", "-A")
    return normalized(git(root, "diff", "--cached", "-M", "--no-color"))


def changed_lines(diff: str) -> tuple[list[str], list[str]]:
    """(removed, added) lines of a diff, without the ---/+++ headers."""
    lines = diff.splitlines()
    removed = [line[1:] for line in lines if line.startswith("-") and not line.startswith("---")]
    added = [line[1:] for line in lines if line.startswith("+") and not line.startswith("+++")]
    return removed, added


Snapshot = dict[str, tuple[bytes, int, int]]


def snapshot(folder: Path) -> Snapshot:
    """Every file under folder: bytes, inode and mtime (a same-bytes rewrite changes the inode).

    .git is left out (git status is checked separately) and so is .crm/, the git-ignored local
    state where the workspace lock lives."""
    found: Snapshot = {}
    for path in sorted(folder.rglob("*")):
        parts = path.relative_to(folder).parts
        if path.is_file() and ".git" not in parts and ".crm" not in parts:
            stat = path.stat()
            found["/".join(parts)] = (path.read_bytes(), stat.st_ino, stat.st_mtime_ns)
    return found


def parallel(function: Callable, items: list) -> list:
    with ThreadPoolExecutor(WORKERS) as pool:
        return list(pool.map(function, items))


# 1. golden diffs


@dataclass(frozen=True)
class Edit:
    name: str
    args: tuple[str, ...]
    staged: bool = False  # new or renamed files: diff the index with rename detection


EDITS = [
    Edit(
        "add",
        (
            "add",
            "opportunities",
            "Initech — Brand book",
            "--list",
            "Proposal sent",
            "--tag",
            "website",
            "--assignee",
            "bruno",
            "--set",
            "client=globex",
            "--set",
            "amount=8 500",
        ),
        staged=True,
    ),
    Edit("move", ("move", "opportunities/acme-website", "Won")),
    Edit(
        "move_with_set",
        ("move", "opportunities/acme-website", "Lost", "--set", "lost_reason=Price"),
    ),
    Edit("set", ("set", "opportunities/acme-website", "amount=13000")),
    Edit("set_unset", ("set", "opportunities/acme-website", "--unset", "note")),
    Edit("set_new_key", ("set", "opportunities/acme-website", "close_date=31/12/2026")),
    Edit(
        "set_quoted_and_block_list",
        ("set", "opportunities/acme-website", "note=ship it", "partners=acme,globex"),
    ),
    Edit("set_lists", ("set", "opportunities/globex-seo", "tags=seo,website", "partners=globex")),
    Edit("rename", ("rename", "clients/acme", "acme-corp"), staged=True),
    Edit("rm", ("rm", "opportunities/globex-seo")),
]


@dataclass
class Edited:
    root: Path
    run: Run
    diff: str
    before: dict[str, bytes] = field(default_factory=dict)

    def text(self, relative: str) -> str:
        return (self.root / relative).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def edited(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Edited]:
    """Each edit run once, in its own repository, with its git diff."""

    def one(edit: Edit) -> Edited:
        root = make_repo(tmp_path_factory.mktemp(edit.name) / "ws")
        before = {relative: (root / relative).read_bytes() for relative in FILES}
        result = run_crm(root, *edit.args)
        diff = staged_diff(root) if edit.staged else worktree_diff(root)
        return Edited(root, result, diff, before)

    return dict(zip([e.name for e in EDITS], parallel(one, EDITS), strict=True))


def succeeded(edited: dict[str, Edited], name: str) -> Edited:
    outcome = edited[name]
    assert outcome.run.returncode == 0, outcome.run.stderr
    assert "Traceback" not in outcome.run.stderr
    return outcome


@pytest.mark.parametrize("name", [e.name for e in EDITS])
def test_git_diff_matches_golden(edited: dict[str, Edited], name: str) -> None:
    outcome = succeeded(edited, name)
    golden = GOLDEN / f"{name}.diff"
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(outcome.diff, encoding="utf-8")
    assert golden.exists(), f"no golden file {golden}; run UPDATE_GOLDEN=1 pytest {__file__}"
    assert outcome.diff == golden.read_text(encoding="utf-8")


def test_set_amount_changes_exactly_one_line(edited: dict[str, Edited]) -> None:
    outcome = succeeded(edited, "set")
    assert changed_lines(outcome.diff) == (
        ["amount: 12000   # excl. VAT"],
        ["amount: 13000   # excl. VAT"],
    )
    assert outcome.diff.count("diff --git") == 1


def test_move_changes_the_list_line_and_appends_one_history_entry(
    edited: dict[str, Edited],
) -> None:
    outcome = succeeded(edited, "move")
    assert changed_lines(outcome.diff) == (
        ["list: Proposal sent"],
        ["list: Won", "    - {list: Won, at: 2026-11-23T10:00:00+01:00, by: alice}"],
    )
    history = outcome.text("opportunities/acme-website.yaml").split("history:", 1)[1]
    assert history.index("{list: Proposal sent,") < history.index("{list: Won,")


def test_move_with_set_writes_the_required_field_and_the_move(edited: dict[str, Edited]) -> None:
    outcome = succeeded(edited, "move_with_set")
    removed, added = changed_lines(outcome.diff)
    assert removed == ["list: Proposal sent"]
    assert sorted(added) == sorted(
        [
            "list: Lost",
            "lost_reason: Price",
            "    - {list: Lost, at: 2026-11-23T10:00:00+01:00, by: alice}",
        ]
    )


def test_set_of_a_key_not_in_the_file_adds_one_line(edited: dict[str, Edited]) -> None:
    outcome = succeeded(edited, "set_new_key")
    assert changed_lines(outcome.diff) == ([], ["close_date: 2026-12-31"])


def test_set_unset_removes_one_line(edited: dict[str, Edited]) -> None:
    outcome = succeeded(edited, "set_unset")
    assert changed_lines(outcome.diff) == (["note: 'keep it short'"], [])


def test_rename_moves_the_file_unchanged_and_rewrites_every_reference(
    edited: dict[str, Edited],
) -> None:
    outcome = succeeded(edited, "rename")
    assert not (outcome.root / "clients/acme.yaml").exists()
    assert (outcome.root / "clients/acme-corp.yaml").read_bytes() == outcome.before[
        "clients/acme.yaml"
    ]
    assert "rename from clients/acme.yaml\nrename to clients/acme-corp.yaml" in outcome.diff
    assert "similarity index 100%" in outcome.diff
    removed, added = changed_lines(outcome.diff)
    assert sorted(removed) == sorted(
        ["client: acme", "    - acme", "partners: [acme, globex]   # both sites"]
    )
    assert sorted(added) == sorted(
        # the comment keeps its column where the longer value leaves room, else one space
        ["client: acme-corp", "    - acme-corp", "partners: [acme-corp, globex] # both sites"]
    )
    assert "clients/acme-corp" in outcome.run.stdout


def test_add_writes_one_new_file_and_nothing_else(edited: dict[str, Edited]) -> None:
    outcome = succeeded(edited, "add")
    assert outcome.diff.count("diff --git") == 1
    assert "new file mode" in outcome.diff
    text = outcome.text("opportunities/initech-brand-book.yaml")
    assert "amount: 8500\n" in text
    assert f"created: {NOW}\n" in text
    assert f"{{list: Proposal sent, at: {NOW}, by: alice}}" in text


def test_rm_deletes_exactly_the_record_file(edited: dict[str, Edited]) -> None:
    outcome = succeeded(edited, "rm")
    assert outcome.diff.count("diff --git") == 1
    assert "deleted file mode" in outcome.diff
    assert not (outcome.root / "opportunities/globex-seo.yaml").exists()


# 2. preservation


TOP_KEY = re.compile(r"^([A-Za-z_]\w*):")
QUOTED = re.compile(r"""^(\w+): (['"]).*\2(?:\s+#.*)?$""")


def top_keys(text: str) -> list[str]:
    return [m.group(1) for line in text.splitlines() if (m := TOP_KEY.match(line))]


def style_of(text: str, key: str) -> str:
    """'flow', 'block+N' (dashes indented by N), or 'scalar' for a top-level key."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if TOP_KEY.match(line) and line.startswith(f"{key}:"):
            value = line[len(key) + 1 :].split(" #")[0].strip()
            if value.startswith(("[", "{")):
                return "flow"
            if not value and index + 1 < len(lines):
                following = lines[index + 1]
                if following.lstrip().startswith("- "):
                    return f"block+{len(following) - len(following.lstrip())}"
            return "scalar"
    raise AssertionError(f"{key} not in file")


def assert_preserved(before: str, after: str, changed: set[str], removed: set[str]) -> None:
    """Everything of `before` that the command did not change is still in `after`."""
    after_lines = after.splitlines()
    kept_keys = [k for k in top_keys(before) if k not in removed]
    # key order
    assert [k for k in top_keys(after) if k in kept_keys] == kept_keys
    for line in before.splitlines():
        key = m.group(1) if (m := TOP_KEY.match(line)) else None
        if key in removed:
            continue
        # full-line comments, verbatim
        if line.lstrip().startswith("#"):
            assert line in after_lines, f"comment lost: {line!r}"
        # end-of-line comments stay on their key's line
        elif key and " #" in line:
            comment = line[line.index(" #") :].strip()
            assert any(a.startswith(f"{key}:") and a.endswith(comment) for a in after_lines), (
                f"comment of {key} lost: {comment!r}"
            )
        # quoted scalars of unchanged keys are untouched; changed ones keep their quotes
        if key and (quoted := QUOTED.match(line)):
            if key in changed:
                quote = quoted.group(2)
                assert any(a.startswith(f"{key}: {quote}") for a in after_lines), (
                    f"quotes of {key} lost"
                )
            else:
                assert line in after_lines, f"quoting changed: {line!r}"
    # blank lines: as many, each still before the same line
    assert after_lines.count("") == before.splitlines().count("")
    before_lines = before.splitlines()
    for index, line in enumerate(before_lines[:-1]):
        if line == "":
            following = before_lines[index + 1]
            if following in after_lines and following:
                position = after_lines.index(following)
                assert after_lines[position - 1] == "", f"blank line before {following!r} lost"
    # flow vs block style (and dash indentation) of every list that is kept, changed or not
    for key in kept_keys:
        assert style_of(after, key) == style_of(before, key), key


PRESERVED = {
    # edit name: {file: (changed keys, removed keys)}
    "move": {"opportunities/acme-website.yaml": ({"list", "history"}, set())},
    "move_with_set": {"opportunities/acme-website.yaml": ({"list", "history"}, set())},
    "set": {"opportunities/acme-website.yaml": ({"amount"}, set())},
    "set_unset": {"opportunities/acme-website.yaml": (set(), {"note"})},
    "set_new_key": {"opportunities/acme-website.yaml": (set(), set())},
    "set_quoted_and_block_list": {"opportunities/acme-website.yaml": ({"note", "partners"}, set())},
    "set_lists": {"opportunities/globex-seo.yaml": ({"tags", "partners"}, set())},
    "rename": {
        "opportunities/acme-website.yaml": ({"client", "partners"}, set()),
        "opportunities/globex-seo.yaml": ({"partners"}, set()),
    },
    "add": {},
    "rm": {},
}
TOUCHED = {
    "add": {"opportunities/initech-brand-book.yaml"},
    "rename": {"clients/acme.yaml", "clients/acme-corp.yaml"},
    "rm": {"opportunities/globex-seo.yaml"},
}


@pytest.mark.parametrize("name", [e.name for e in EDITS])
def test_every_command_preserves_comments_order_quoting_blank_lines_and_style(
    edited: dict[str, Edited], name: str
) -> None:
    outcome = succeeded(edited, name)
    rewritten = PRESERVED[name]
    for relative, (changed, removed) in rewritten.items():
        before = outcome.before[relative].decode("utf-8")
        after = outcome.text(relative)
        assert after != before, f"{relative} was not changed"
        assert_preserved(before, after, changed, removed)
    # every other file of the workspace: byte for byte
    for relative, content in outcome.before.items():
        if relative not in rewritten and relative not in TOUCHED.get(name, set()):
            assert (outcome.root / relative).read_bytes() == content, relative


def test_a_changed_value_keeps_its_quotes_and_a_block_list_stays_block(
    edited: dict[str, Edited],
) -> None:
    text = succeeded(edited, "set_quoted_and_block_list").text("opportunities/acme-website.yaml")
    assert "\nnote: 'ship it'\n" in text
    assert "\npartners:\n    - acme\n    - globex\nhistory:   # stage changes\n" in text


def test_a_flow_list_stays_flow_and_a_block_tag_list_stays_block(
    edited: dict[str, Edited],
) -> None:
    text = succeeded(edited, "set_lists").text("opportunities/globex-seo.yaml")
    # ruamel keeps an end-of-line comment at its column
    assert "\npartners: [globex]         # both sites\n" in text
    assert "\ntags:\n- seo\n- website\n" in text


def test_windows_line_endings_survive(tmp_path: Path) -> None:
    crlf = "name: Initech\r\nlist: Lead   # new\r\nclient: acme\r\n\r\ntags:\r\n  - seo\r\n"
    root = make_repo(tmp_path / "ws", {"opportunities/initech.yaml": crlf})
    assert run_crm(root, "set", "opportunities/initech", "amount=5").returncode == 0
    assert run_crm(root, "move", "opportunities/initech", "Won").returncode == 0
    data = (root / "opportunities/initech.yaml").read_bytes()
    assert data.count(b"\n") == data.count(b"\r\n")
    assert data.startswith(b"name: Initech\r\nlist: Won    # new\r\nclient: acme\r\n\r\n")
    assert b"\r\ntags:\r\n  - seo\r\namount: 5\r\n" in data


# 3. bad input: a clear message, the right exit code, nothing written


@dataclass(frozen=True)
class Bad:
    id: str
    args: tuple[str, ...]
    code: int  # 2: the command line is wrong; 1: the change is refused
    says: tuple[str, ...]
    broken: bool = False  # the workspace also holds BROKEN_FILES


BAD = [
    # unknown project, with a hint
    *(
        Bad(
            f"unknown-project-{command}",
            (command, *args),
            2,
            ("no project “opportunitie”", "did you mean “opportunities”"),
        )
        for command, args in [
            ("add", ("opportunitie", "Initech", "--set", "client=acme")),
            ("rm", ("opportunitie/acme-website",)),
        ]
    ),
    # unknown id, with a hint
    *(
        Bad(
            f"unknown-id-{command}",
            (command, "opportunities/acme-websit", *args),
            2,
            ("no Deal “acme-websit” in Opportunities", "did you mean “acme-website”"),
        )
        for command, args in [
            ("set", ("amount=1",)),
            ("rename", ("acme-site",)),
        ]
    ),
    # unknown list
    Bad(
        "unknown-list-move",
        ("move", "opportunities/acme-website", "Wonn"),
        1,
        ("“Wonn” is not one of Lead, Proposal sent, Won, or Lost", "did you mean “Won”"),
    ),
    Bad(
        "unknown-list-add",
        ("add", "opportunities", "Initech", "--list", "Wonn", "--set", "client=acme"),
        1,
        ("“Wonn” is not one of", "did you mean “Won”"),
    ),
    # unknown field
    Bad(
        "unknown-field",
        ("set", "opportunities/acme-website", "amout=1"),
        2,
        ("no field “amout”", "did you mean “amount”"),
    ),
    # a value of the wrong type
    Bad(
        "wrong-type-set",
        ("set", "opportunities/acme-website", "amount=lots"),
        1,
        ("amount: cannot read “lots” as a number",),
    ),
    Bad(
        "wrong-type-add",
        ("add", "opportunities", "Initech", "--set", "client=acme", "--set", "amount=lots"),
        1,
        ("amount: cannot read “lots” as a number",),
    ),
    Bad(
        "wrong-type-date",
        ("set", "opportunities/acme-website", "close_date=someday"),
        1,
        ("close date: cannot read “someday” as a date",),
    ),
    # a reference to a missing record
    Bad(
        "missing-reference-set",
        ("set", "opportunities/acme-website", "client=initech"),
        1,
        ("client: no Company “initech” in Clients",),
    ),
    Bad(
        "missing-reference-hint",
        ("set", "opportunities/acme-website", "client=acm"),
        1,
        ("no Company “acm”", "did you mean “acme”"),
    ),
    Bad(
        "missing-reference-add",
        ("add", "opportunities", "Initech", "--set", "client=initech"),
        1,
        ("client: no Company “initech” in Clients",),
    ),
    # computed fields
    Bad(
        "set-formula",
        ("set", "opportunities/acme-website", "profit=5000"),
        1,
        ("profit is computed (formula) and cannot be set",),
    ),
    Bad(
        "set-lookup",
        ("set", "opportunities/acme-website", "client_email=x@acme.example"),
        1,
        ("client email is computed (lookup) and cannot be set",),
    ),
    Bad(
        "unset-formula",
        ("set", "opportunities/acme-website", "--unset", "profit"),
        2,
        ("profit is computed and cannot be unset",),
    ),
    # a name without letters or digits
    Bad(
        "name-slugifies-to-nothing",
        ("add", "opportunities", "!!!", "--set", "client=acme"),
        2,
        ("the name gives no usable id",),
    ),
    # ids with / or ..
    *(
        Bad(
            f"rename-to-{label}",
            ("rename", "clients/acme", target),
            2,
            (f"“{target}” is not a valid id",),
        )
        for label, target in [
            ("parent", "../evil"),
            ("dotdot", ".."),
            ("slash", "a/b"),
        ]
    ),
    Bad(
        "rename-to-existing",
        ("rename", "clients/acme", "globex"),
        2,
        ("clients/globex already exists",),
    ),
    *(
        Bad(f"unsafe-id-{label}", (command, reference, *args), 2, (says,))
        for label, command, reference, args, says in [
            ("set-parent", "set", "opportunities/../crm", ("amount=1",), "no Deal “../crm”"),
            ("move-slash", "move", "opportunities/a/b", ("Won",), "no Deal “a/b”"),
            ("rm-parent", "rm", "opportunities/../clients/acme", (), "no Deal “../clients/acme”"),
            ("rename-parent", "rename", "../clients/acme", ("x",), "no project “..”"),
        ]
    ),
    # a record file that is not valid YAML: refuse to touch it, say where and why
    *(
        Bad(
            f"invalid-yaml-{label}",
            args,
            1,
            ("opportunities/broken.yaml:5:1: invalid YAML", "fix the file by hand first"),
            broken=True,
        )
        for label, args in [
            ("set", ("set", "opportunities/broken", "amount=1")),
            ("move", ("move", "opportunities/broken", "Won")),
            ("rename", ("rename", "opportunities/broken", "broken-deal")),
            ("rm", ("rm", "opportunities/broken")),
        ]
    ),
    Bad(
        "duplicate-keys-set",
        ("set", "opportunities/twice", "amount=1"),
        1,
        ("opportunities/twice.yaml is not a valid record", "without duplicate keys"),
        broken=True,
    ),
    # renaming while a record that may refer to it cannot be read would leave it dangling
    Bad(
        "rename-with-unreadable-referrer",
        ("rename", "clients/acme", "acme-corp"),
        1,
        ("opportunities/broken.yaml", "not valid YAML", "nothing was changed"),
        broken=True,
    ),
    # required_in: a lost reason is required to move to Lost
    Bad(
        "move-to-lost-without-reason",
        ("move", "opportunities/acme-website", "Lost"),
        1,
        ("nothing was written", "lost reason is required in “Lost”"),
    ),
    Bad(
        "unset-required",
        ("set", "opportunities/acme-website", "--unset", "client"),
        1,
        ("nothing was written", "client is required"),
    ),
    # rm of a referenced record lists who refers to it
    Bad(
        "rm-referenced",
        ("rm", "clients/acme"),
        1,
        (
            "clients/acme is referenced by 2 records",
            "opportunities/acme-website “Acme — Website” (client)",
            "opportunities/globex-seo “Globex — SEO audit” (partners)",
            "--force",
        ),
    ),
]


@dataclass
class Refused:
    run: Run
    before: Snapshot
    after: Snapshot
    status: str


@pytest.fixture(scope="module")
def refused(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Refused]:
    """Each bad command run once in its own repository; the whole temp folder around the
    workspace is snapshotted, so a write outside it (../evil.yaml) would show too."""

    def one(case: Bad) -> Refused:
        outer = tmp_path_factory.mktemp(case.id)
        root = make_repo(outer / "ws", BROKEN_FILES if case.broken else None)
        before = snapshot(outer)
        result = run_crm(root, *case.args)
        status = git(root, "status", "--porcelain", "--untracked-files=all")
        return Refused(result, before, snapshot(outer), status)

    return dict(zip([c.id for c in BAD], parallel(one, BAD), strict=True))


@pytest.mark.parametrize("case", BAD, ids=[c.id for c in BAD])
def test_bad_input_is_refused_clearly_and_writes_nothing(
    refused: dict[str, Refused], case: Bad
) -> None:
    outcome = refused[case.id]
    output = outcome.run.stdout + outcome.run.stderr
    assert "Traceback" not in output, output
    assert outcome.run.returncode == case.code, output
    assert "crm: error: " in outcome.run.stderr
    for words in case.says:
        assert words in outcome.run.stderr, f"{words!r} not in {outcome.run.stderr!r}"
    assert outcome.run.stdout == ""
    assert sorted(outcome.after) == sorted(outcome.before), "files were added or removed"
    for relative, (content, inode, mtime) in outcome.before.items():
        assert outcome.after[relative][0] == content, f"{relative} changed"
        assert outcome.after[relative][1:] == (inode, mtime), f"{relative} was rewritten"
    assert outcome.status == "", outcome.status


def test_move_to_lost_with_the_reason_in_the_same_command_works(
    edited: dict[str, Edited], refused: dict[str, Refused]
) -> None:
    assert refused["move-to-lost-without-reason"].run.returncode == 1
    outcome = succeeded(edited, "move_with_set")
    text = outcome.text("opportunities/acme-website.yaml")
    assert "\nlist: Lost\n" in text
    assert "\nlost_reason: Price\n" in text
    assert "Proposal sent → Lost" in outcome.run.stdout


def test_the_hand_written_workspace_is_valid(tmp_path: Path) -> None:
    """The fixture itself passes `crm check`, so refusals above are about the command."""
    result = check(make_repo(tmp_path / "ws"))
    assert result.problems == [], result.problems
