"""`crm check` remembers what apprise said of each notification URL (apprise takes about a
second to load its plugins): the next check, even without the index, answers the same
without importing apprise, and the file keeps digests, never the URLs and their tokens."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from crmcli.automations.url_memo import MEMO_FILE
from tests.conftest import BASE_FILES

GOOD = "json://127.0.0.1:9/hook?token=s3cr3t-t0ken"
BAD = "nosuchscheme://s3cr3t-t0ken@example"
CHECK = textwrap.dedent(
    """
    import sys
    from crmcli.cli.main import run
    sys.argv = ["crm", "-C", sys.argv[1], "check", "--format", "json", "--no-cache"]
    try:
        run()
    except SystemExit as exit_:
        print("apprise imported:", "apprise" in sys.modules, file=sys.stderr)
        raise
    """
)


def check(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CHECK, str(root)],
        capture_output=True,
        text=True,
        env={"CRM_LANG": "en", "CRM_USER": "alice", "PATH": "/usr/bin:/bin"},
    )


def test_apprise_answers_are_remembered_by_digest(workspace) -> None:
    config = (
        textwrap.dedent(BASE_FILES["crm.yaml"])
        + f"channels:\n  sales: '{GOOD}'\n  other: '{BAD}'\n"
    )
    root = workspace({"crm.yaml": config})
    first = check(root)
    assert "apprise imported: True" in first.stderr
    assert "bad-notify-url" in first.stdout and first.stdout.count("bad-notify-url") == 1
    memo = (root / ".crm" / MEMO_FILE).read_text()
    assert "s3cr3t" not in memo and "127.0.0.1" not in memo
    second = check(root)
    assert "apprise imported: False" in second.stderr
    assert (second.returncode, second.stdout) == (first.returncode, first.stdout)


def test_a_damaged_memo_is_asked_again(workspace) -> None:
    config = textwrap.dedent(BASE_FILES["crm.yaml"]) + f"channels:\n  other: '{BAD}'\n"
    root = workspace({"crm.yaml": config})
    first = check(root)
    for damaged in ("{not json", "[1, 2]", '{"apprise": "0", "urls": 3}'):
        (root / ".crm" / MEMO_FILE).write_text(damaged)
        again = check(root)
        assert "apprise imported: True" in again.stderr
        assert (again.returncode, again.stdout) == (first.returncode, first.stdout)
