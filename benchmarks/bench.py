"""`make bench`: every command that matters on a large workspace, in one table.

    python benchmarks/bench.py [--size small|full] [--runs 3] [--work benchmarks/.work]

The workspace is generated once per size (full: 20,000 clients and 100,000 opportunities;
small: a tenth of that) into WORK/SIZE/ws, made a git repository, and reused by later runs.
Each row is the median wall time of RUNS fresh processes (the peers and the import run once on
the full size: they take minutes), the peak resident memory of the largest process of the
command (wait4's ru_maxrss, which covers the worker processes it waited for), and the ratio to
the floor: the bare PyYAML C-loader parse of every YAML file, single process. Rows:

- cold check: `crm check` with `.crm/` removed first (no index, no cache);
- warm check: `crm check` again with whatever `.crm/` the previous check left (an index, once
  the tool writes one; until then it is a second cold load, and the row says so);
- check after 10 edits: 10 deal files changed by hand before each run (restored after);
- show deal, show client (its backlinks and rollups), list --where, add, move, set (each edit
  undone afterwards), dashboard, remind --dry-run, duplicates clients (from the index and with
  --no-cache), diff of 100 records (a commit touching 100 deals, reset afterwards), import
  of 100,000 rows (a tenth on small) into a copy without opportunities;
- peers over the same record files: check-jsonschema with the schemas `crm schema export`
  writes, and yamllint (relaxed).

The operating system's file cache is warm for every row. Results go to stdout (markdown).
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import bench_diff
import bench_edit
import bench_import

HERE = Path(__file__).resolve().parent
SIZES = {"small": (2_000, 10_000, 10_000), "full": (20_000, 100_000, 100_000)}
BIN = Path(sys.executable).parent
CHILD_ENV = {**bench_edit.CHILD_ENV, "CRM_USER": "alice", "COLUMNS": "200"}
FLOOR = """
import os, sys, yaml
for folder, _dirs, files in os.walk(sys.argv[1]):
    if "/.crm" in folder or "/.git" in folder:
        continue
    for name in files:
        if name.endswith(".yaml"):
            with open(os.path.join(folder, name), "rb") as handle:
                yaml.load(handle, Loader=yaml.CSafeLoader)
"""


@dataclass
class Row:
    name: str
    seconds: list[float]
    peak_mb: float
    note: str = ""
    saved_after: list[float] = field(default_factory=list)  # a detached save's seconds more

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def run(
    command: list[str], cwd: Path | None = None, ok: tuple[int, ...] = (0, 1)
) -> tuple[float, float, float]:
    """Wall seconds and peak memory (MB) of one fresh process and what it waited for, and
    the seconds a save it left to a detached child took after it ended (waited for here, so
    that the next run does not share the machine with it)."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(command, cwd=cwd, env=CHILD_ENV, stdout=output, stderr=output)
        _pid, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) not in ok:
            output.seek(0)
            sys.exit(f"{' '.join(command)} failed:\n{output.read().decode()[-3000:]}")
    return elapsed, usage.ru_maxrss / 1024, saves_ended(command)


def saves_ended(command: list[str]) -> float:
    """Wait for the detached saves of the workspace a `crm -C WS` command ran in."""
    if "-C" not in command:
        return 0.0
    start = time.perf_counter()
    for lock in (Path(command[command.index("-C") + 1]) / ".crm").glob("*.saving"):
        with lock.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_SH)
    return time.perf_counter() - start


def crm(ws: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "crmcli", "-C", str(ws), *args]


def measure(
    name: str,
    command: list[str],
    runs: int,
    before: Callable[[], None] = lambda: None,
    after: Callable[[], None] = lambda: None,
    cwd: Path | None = None,
) -> Row:
    seconds, peak, saved_after = [], 0.0, []
    for _ in range(runs):
        before()
        elapsed, mb, saving = run(command, cwd)
        after()
        seconds.append(elapsed)
        saved_after.append(saving)
        peak = max(peak, mb)
    times = ", ".join(f"{s:.2f}" for s in seconds)  # as it goes: a long run shows its rows
    print(
        f"  {name}: {statistics.median(seconds):.2f} s ({times}), {peak:.0f} MB",
        file=sys.stderr,
        flush=True,
    )
    row = Row(name, seconds, peak, saved_after=saved_after)
    if statistics.median(saved_after) >= 0.1:
        row.note = (
            f"answered; the index then written by a detached child in "
            f"{statistics.median(saved_after):.1f} s more"
        )
    return row


def build(work: Path, size: str) -> Path:
    """The workspace of this size, generated and committed once."""
    clients, deals, _rows = SIZES[size]
    ws = work / size / "ws"
    if (ws / ".bench-ready").is_file():
        return ws
    print(f"building {ws} (once)", file=sys.stderr, flush=True)
    shutil.rmtree(ws, ignore_errors=True)
    ws.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, str(HERE / "make_big_workspace.py"), str(ws), "--clients", str(clients),
         "--opportunities", str(deals)],
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    bench_diff.git(ws, "init", "-q")
    bench_diff.git(ws, "config", "user.email", "alice@atelier.example")
    bench_diff.git(ws, "config", "user.name", "Alice Martin")
    bench_diff.git(ws, "add", "-A")
    bench_diff.git(ws, "commit", "-qm", "big workspace")
    (ws / ".bench-ready").touch()
    return ws


def keeping(paths: list[Path]) -> Callable[[], None]:
    """What puts these files back as they are now (and removes them if they are new)."""
    saved = {path: path.read_bytes() if path.is_file() else None for path in paths}

    def put_back() -> None:
        for path, content in saved.items():
            if content is None:
                path.unlink(missing_ok=True)
            else:
                path.write_bytes(content)

    return put_back


def ten_deals(ws: Path) -> list[Path]:
    return sorted((ws / "opportunities").iterdir())[1:11]  # [0] is _project.yaml


def edit_by_hand(paths: list[Path]) -> Callable[[], None]:
    def edit() -> None:
        for path in paths:
            text = path.read_text(encoding="utf-8")
            path.write_text(
                re.sub(r"^amount: (\d+)", lambda m: f"amount: {int(m[1]) + 1}", text, flags=re.M)
            )

    return edit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", choices=SIZES, default=os.environ.get("BENCH_SIZE", "small"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", type=Path, default=HERE / ".work")
    args = parser.parse_args()
    ws = build(args.work.resolve(), args.size)
    runs, once = args.runs, 1 if args.size == "full" else args.runs
    state = ws / ".crm"
    cold = lambda: shutil.rmtree(state, ignore_errors=True)  # noqa: E731
    deal, _list = bench_edit.pick_open_deal(ws)
    client = bench_edit.client_of(ws, deal)
    deal_file = keeping([ws / "opportunities" / f"{deal}.yaml"])
    files = len([p for p in ws.rglob("*.yaml") if ".crm" not in p.parts])
    records = sorted(
        str(p.relative_to(ws))
        for project in ("clients", "opportunities", "delivery", "invoices")
        for p in (ws / project).glob("*.yaml")
        if not p.name.startswith("_")
    )

    rows = [
        measure(
            "bare parse (PyYAML C loader, 1 process): the floor",
            [sys.executable, "-c", FLOOR, str(ws)],
            runs,
        )
    ]
    rows.append(
        measure(
            "crm check, cold (no .crm/)", crm(ws, "check", "--format", "json"), runs, before=cold
        )
    )
    run(crm(ws, "check", "--format", "json"))  # leaves whatever index the tool writes
    warm = measure("crm check, warm", crm(ws, "check", "--format", "json"), runs)
    if not state.is_dir() or not any(state.rglob("*index*")):
        warm.note = "no index in .crm/ yet: a second cold load"
    rows.append(warm)
    rows.append(
        measure(
            "crm check after 10 hand edits",
            crm(ws, "check", "--format", "json"),
            runs,
            before=edit_by_hand(ten_deals(ws)),
            after=keeping(ten_deals(ws)),
        )
    )
    rows.append(measure("crm show (a deal)", crm(ws, "show", f"opportunities/{deal}"), runs))
    rows.append(
        measure(
            "crm show (a client, with backlinks and rollups)",
            crm(ws, "show", f"clients/{client}"),
            runs,
        )
    )
    rows.append(
        measure(
            'crm list opportunities --where "amount > 49000"',
            crm(ws, "list", "opportunities", "--where", "amount > 49000"),
            runs,
        )
    )
    rows.append(
        measure(
            "crm add",
            crm(
                ws,
                "add",
                "opportunities",
                "Bench deal",
                "--set",
                f"client={client}",
                "--as",
                "alice",
            ),
            runs,
            after=keeping([ws / "opportunities" / "bench-deal.yaml"]),
        )
    )
    for edit in (
        ("move", f"opportunities/{deal}", "Negotiations"),
        ("set", f"opportunities/{deal}", "amount=12345"),
    ):
        rows.append(
            measure(f"crm {edit[0]}", crm(ws, *edit, "--as", "alice"), runs, after=deal_file)
        )
    out = Path(tempfile.mkdtemp())
    rows.append(
        measure("crm dashboard sales", crm(ws, "dashboard", "sales", "--out", str(out)), runs)
    )
    rows.append(measure("crm remind --dry-run", crm(ws, "remind", "--dry-run"), runs))
    for options in ((), ("--no-cache",)):  # keys from the index, then from every record
        command = " ".join(("crm duplicates clients", *options))
        rows.append(measure(command, crm(ws, "duplicates", "clients", *options), runs))

    rows.append(
        measure(
            "crm diff of 100 records",
            crm(ws, "diff", "HEAD~1..HEAD"),
            runs,
            before=lambda: bench_diff.commit_change(ws),
            after=lambda: bench_diff.reset(ws),
        )
    )
    rows.append(import_row(ws, args.size, once))
    rows.extend(peer_rows(ws, records, once))
    print_table(rows, args, files)


def import_row(ws: Path, size: str, runs: int) -> Row:
    rows = SIZES[size][2]
    target = ws.parent / "import-ws"
    if not target.is_dir():
        bench_import.copy_without_opportunities(ws, target)
    table = ws.parent / f"import-{rows}.csv"
    if not table.is_file():
        bench_import.write_csv(table, rows, bench_import.client_names(ws))
    command = crm(
        target, "import", "opportunities", str(table), "--map", "Stage=list", "--as", "alice"
    )
    return measure(
        f"crm import of {rows:,} rows",
        command,
        runs,
        after=lambda: bench_import.remove_imported(target),
    )


def peer_rows(ws: Path, records: list[str], runs: int) -> list[Row]:
    """check-jsonschema and yamllint over the record files (in batches, as xargs would)."""
    schemas = ws.parent / "schemas"
    run(crm(ws, "schema", "export", "--out", str(schemas)))
    script = (
        "import subprocess, sys, json\n"
        "batches = json.load(open(sys.argv[1]))\n"
        "for command in batches: subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
    )
    jsonschema, yamllint = [], []
    for project in ("clients", "opportunities", "delivery", "invoices"):
        mine = [r for r in records if r.startswith(project + "/")]
        for i in range(0, len(mine), 2000):
            batch = mine[i : i + 2000]
            schema = str(schemas / f"{project}.schema.json")
            jsonschema.append([str(BIN / "check-jsonschema"), "--schemafile", schema, *batch])
            yamllint.append([str(BIN / "yamllint"), "-d", "relaxed", *batch])
    found = []
    for name, batches in (
        ("check-jsonschema (crm schema export's schemas)", jsonschema),
        ("yamllint (relaxed)", yamllint),
    ):
        plan = ws.parent / "peer.json"
        plan.write_text(json.dumps(batches))
        found.append(measure(name, [sys.executable, "-c", script, str(plan)], runs, cwd=ws))
    return found


def print_table(rows: list[Row], args: argparse.Namespace, files: int) -> None:
    floor = rows[0].median
    load = os.getloadavg()
    print(f"Size `{args.size}`: {files:,} YAML files; {args.runs} runs per row (median); "
          f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {platform.python_implementation()} "
          f"{platform.python_version()}, {os.cpu_count()} cores; load average at the end "
          f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}.\n")  # fmt: skip
    print("| command | median s | runs (s) | peak MB | × floor | note |")
    print("|---|---:|---|---:|---:|---|")
    for row in rows:
        times = ", ".join(f"{s:.2f}" for s in row.seconds)
        print(f"| {row.name} | {row.median:.2f} | {times} | {row.peak_mb:.0f} | "
              f"{row.median / floor:.2f} | {row.note} |")  # fmt: skip


if __name__ == "__main__":
    main()
