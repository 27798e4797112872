"""Shared test helpers: workspaces written from inline YAML, and the real `crm` CLI."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from contextlib import chdir, contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from unittest import mock

import pytest
import yaml

# Messages in English whatever the machine's or the workspace's language (BASE_FILES is fr_FR);
# the tests of languages say which they want. Set before crmcli.i18n chooses at import.
os.environ["CRM_LANG"] = "en"

from crmcli.check.workspace import CheckResult, check_workspace
from crmcli.i18n import current_language, use_language

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample-workspace"
TODAY = date(2026, 11, 23)

# A small two-project workspace that tests extend or override file by file.
BASE_FILES: dict[str, str] = {
    "crm.yaml": """
        name: Test Agency
        locale: fr_FR
        currency: EUR
        timezone: Europe/Paris
        members:
          alice: {name: Alice Martin, email: alice@agency.example, role: manager, region: Paris}
          bruno: {name: Bruno Petit, email: bruno@agency.example, role: junior, region: Lyon}
        roles:
          manager: {}
          junior: {hidden: [opportunities.cost], read_only: [opportunities.amount]}
    """,
    "clients/_project.yaml": """
        name: Clients
        record_name: Company
        lists: [Clients]
        fields:
          email: {type: email}
          region: {type: select, options: [Paris, Lyon]}
          opportunities: {type: referenced_by, from: opportunities.client}
          won_total: {type: rollup, through: opportunities, field: amount, agg: sum, where: "outcome == 'won'"}
    """,
    "clients/acme.yaml": """
        name: Acme
        list: Clients
        email: contact@acme.example
        region: Paris
    """,
    "opportunities/_project.yaml": """
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
    """,
    "opportunities/acme-website.yaml": """
        name: Acme — Website
        list: Won
        tags: [website]
        assignee: alice
        client: acme
        amount: 12000
        cost: 7000
    """,
}


def write_files(root: Path, files: dict[str, str | bytes | None]) -> Path:
    """Write dedented files under root; None deletes a file of the base workspace."""
    for relative, content in files.items():
        path = root / relative
        if content is None:
            path.unlink(missing_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
    return root


@pytest.fixture(autouse=True)
def environment_kept() -> Iterator[None]:
    """Each test starts from the session's environment: one that leaves a variable set
    (a CRM_USER of its own, seen once in a full run on later tests' subprocesses) cannot
    change another's answer. Torn down last, after monkeypatch has undone its own."""
    saved = dict(os.environ)
    yield
    if os.environ != saved:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(autouse=True)
def no_threads_left() -> Iterator[None]:
    """Each test leaves this process with its one thread. Once it has sent a notification,
    apprise keeps pools of threads for the life of the process, and a process with other
    threads does not fork (`fork_workers`): a test after one would compute in one process
    what it means to compute on two, and pass without testing it."""
    yield
    module = sys.modules.get("apprise.apprise")
    for name in ("_shared_executor", "_coordinator_executor"):
        pool = getattr(module, name, None)
        if pool is not None:
            pool.shutdown(wait=True)
            setattr(module, name, None)


@pytest.fixture
def workspace(tmp_path: Path) -> Callable[..., Path]:
    """workspace({"opportunities/x.yaml": "..."}) → root of BASE_FILES plus/minus those files."""

    def make(files: dict[str, str | bytes | None] | None = None, base: bool = True) -> Path:
        root = tmp_path / "ws"
        root.mkdir(exist_ok=True)
        write_files(root, {**(BASE_FILES if base else {}), **(files or {})})
        return root

    return make


def check(root: Path) -> CheckResult:
    return check_workspace(root, today=TODAY)


def codes(result: CheckResult) -> list[str]:
    return [p.code for p in result.problems]


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


def crm(
    *args: str | Path,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> Run:
    """Run the real `crm` command line in a subprocess."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("CRM_WORKSPACE", None) if env is None or "CRM_WORKSPACE" not in env else None
    completed = subprocess.run(
        [sys.executable, "-m", "crmcli", *map(str, args)],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return Run(completed.returncode, completed.stdout, completed.stderr)


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """os.environ with `values` set, restored afterwards."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def crm_in_process(
    *args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None
) -> Run:
    """Run the `crm` script's entry point in this process: argument parsing, error printing and
    exit codes included, without the start-up of a new interpreter."""
    from crmcli.cli.main import run as crm_script

    out, err = io.StringIO(), io.StringIO()
    code = 0
    language = current_language()  # the command chooses its own; the tests' stays
    with (
        environment(env or {}),
        chdir(cwd or Path.cwd()),
        mock.patch.object(sys, "argv", ["crm", *map(str, args)]),
        redirect_stdout(out),
        redirect_stderr(err),
    ):
        try:
            crm_script()
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else int(exit_.code is not None)
        finally:
            use_language(language)
    return Run(code, out.getvalue(), err.getvalue())


# `crm` in a child interpreter that reports its own peak RSS (VmHWM) when it exits:
# resource.getrusage(RUSAGE_CHILDREN) would also count the test process, whose RSS a forked
# child inherits into its maximum.
_MEASURED_CRM = """
import atexit, runpy, sys

def report_peak_memory():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                sys.stderr.write("\\npeak-rss-kb=" + line.split()[1] + "\\n")

atexit.register(report_peak_memory)
sys.argv = ["crm", *sys.argv[1:]]
runpy.run_module("crmcli", run_name="__main__", alter_sys=True)
"""


@dataclass
class Measured:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    peak_mb: float


def crm_measured(
    *args: str | Path,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> Measured:
    """`crm ARGS` in a subprocess (Linux), with its wall time and its own peak memory."""
    environment = {k: v for k, v in os.environ.items() if k != "CRM_WORKSPACE"}
    start = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-c", _MEASURED_CRM, *map(str, args)],
        cwd=cwd,
        env={**environment, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    seconds = time.perf_counter() - start
    stderr, _, peak = completed.stderr.rpartition("\npeak-rss-kb=")
    assert peak, completed.stderr
    return Measured(completed.returncode, completed.stdout, stderr, seconds, int(peak) / 1024)


def plain(text: str) -> str:
    """Text with the (narrow) no-break spaces of French number formatting as spaces."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


def load(root: Path, relative: str) -> dict:
    """A workspace file as plain data."""
    return yaml.safe_load((root / relative).read_text(encoding="utf-8"))
