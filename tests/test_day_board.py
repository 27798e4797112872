"""Issue 19, point 4 in the terminal: `crm board` run on a real pseudo-terminal of 80 and 160
columns matches golden text (colours stripped), fits the width, truncates long names, marks
aging cards, filters by --where, --tag and --member, and shows no field hidden from the
reader's role. Regenerate the golden files with UPDATE_GOLDEN=1, then read them."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from .conftest import crm
from .day_fixtures import ENV, FILES, day_repo
from .test_terminal_safety import _read_all

GOLDEN = Path(__file__).parent / "golden" / "day"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
ANSI = re.compile(r"\x1b\[[0-9;?]*[a-zA-Z]")


def board_on_a_terminal(root: Path, columns: int, *args: str) -> str:
    """`crm board` on a pty `columns` wide; its output without colours."""
    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS", "LINES")}
    env.update(ENV, TERM="xterm-256color")
    with subprocess.Popen(
        [sys.executable, "-m", "crmcli", "-C", str(root), "board", *args],
        stdout=secondary,
        stderr=subprocess.PIPE,
        env=env,
    ) as process:
        os.close(secondary)
        out = _read_all(primary)
        assert process.wait(timeout=120) == 0, process.stderr.read() if process.stderr else ""
    return ANSI.sub("", out.replace("\r\n", "\n"))


def assert_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize(("columns", "args"), [(80, ()), (160, ("--all",))])
def test_the_board_matches_its_golden_text_on_a_terminal(
    tmp_path: Path, columns: int, args: tuple[str, ...]
) -> None:
    root = day_repo(tmp_path / "ws")
    out = board_on_a_terminal(root, columns, "opportunities", *args)
    assert_golden(f"board-{columns}.txt", out)
    assert {len(line) for line in out.splitlines()} == {columns}  # fits the terminal exactly
    assert "Initech — Mobile app with a long nam…" in out  # truncated, not wrapped
    assert "⚠ 41 days in the list" in out  # Proposal sent keeps a deal 14 days at most
    assert ("Won" in out) == ("--all" in args)


def test_filters_keep_the_cards_asked_for(tmp_path: Path) -> None:
    root = day_repo(
        tmp_path / "ws",
        {
            "opportunities/globex-seo.yaml": FILES["opportunities/globex-seo.yaml"].replace(
                "client: acme", "client: acme\n        tags: [seo]"
            )
        },
    )
    by_member = crm("board", "opportunities", "--member", "bruno", cwd=root, env=ENV)
    assert "Globex" in by_member.stdout and "Initech" not in by_member.stdout
    by_tag = crm("board", "opportunities", "--tag", "seo", cwd=root, env=ENV)
    assert "Globex" in by_tag.stdout and "Acme" not in by_tag.stdout
    by_where = crm("board", "opportunities", "--where", "amount > 10000", cwd=root, env=ENV)
    assert "Initech" in by_where.stdout and "Globex" not in by_where.stdout
    unknown = crm("board", "opportunities", "--tag", "print", cwd=root, env=ENV)
    assert (
        unknown.returncode == 2 and "--tag: print is not a tag of Opportunities" in unknown.stderr
    )


def test_a_value_hidden_from_the_role_is_on_no_card(tmp_path: Path) -> None:
    crm_yaml = FILES["crm.yaml"].replace("opportunities.cost,", "opportunities.amount,")
    root = day_repo(tmp_path / "ws", {"crm.yaml": crm_yaml})
    as_junior = crm("board", "opportunities", "--as", "bruno", cwd=root, env=ENV)
    assert as_junior.returncode == 0, as_junior.stderr
    assert "€" not in as_junior.stdout
    assert "Initech" in as_junior.stdout and "Alice Martin" in as_junior.stdout
    hidden_filter = crm(
        "board", "opportunities", "--as", "bruno", "--where", "amount > 1", cwd=root, env=ENV
    )
    assert hidden_filter.returncode == 2 and "opportunities.amount" in hidden_filter.stderr
    as_manager = crm("board", "opportunities", cwd=root, env=ENV)
    assert "30 000,00 €" in as_manager.stdout.replace("\u202f", " ").replace("\xa0", " ")
