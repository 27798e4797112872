"""Wall time and peak memory of `crm import` of 100,000 opportunities (target: < 60 s, < 1.5 GB).

    python benchmarks/bench_import.py /tmp/bigws-lead [--rows 100000] [--runs 3]

The workspace is copied to a temporary folder without its opportunities (the 20,000 clients,
delivery and invoices stay), so the big workspace itself is never changed. A CSV of ROWS
deals is generated with the clients' names as references, French numbers and dates on
half the rows (`12 000,50`, `31/12/2026`), members by full name, stages by a header that
needs `--map`. Each run imports it as a fresh `crm` process, with Python's bytecode cache in
place, and reports its wall time and peak resident memory (VmHWM); the created files are
removed between runs.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
MEASURED_CRM = """
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
STAGES = [
    "Unqualified",
    "Qualification",
    "Proposal writing",
    "Proposal sent",
    "Negotiations",
    "Contract pending signature",
    "Won",
    "Lost",
]
OWNERS = ["Alice Martin", "Bruno Petit", "Karim Benali", "alice", "bruno"]
SERVICES = ["Site web", "Refonte du logo", "Audit SEO", "Gestion Facebook", "Charte graphique"]
TAGS = ["website", "branding", "seo", "facebook-management"]
SOURCES = ["Referral", "Website", "Cold call", "Trade show", "LinkedIn"]
REASONS = ["Price", "Timing", "Competitor", "No budget", "No response"]


def copy_without_opportunities(source: Path, target: Path) -> None:
    def skip(folder: str, names: list[str]) -> list[str]:
        if Path(folder).name == "opportunities":
            return [name for name in names if name != "_project.yaml"]
        return [".git", ".crm"] if Path(folder) == source else []

    shutil.copytree(source, target, ignore=skip)


def client_names(workspace: Path) -> list[str]:
    names = []
    for entry in os.scandir(workspace / "clients"):
        if entry.name.startswith("_"):
            continue
        with Path(entry.path).open(encoding="utf-8") as handle:
            first = handle.readline()
        name = first.removeprefix("name: ").strip()
        if name.startswith(("'", '"')):
            name = name[1:-1].replace("''", "'")
        names.append(name)
    return sorted(names)


def write_csv(path: Path, rows: int, clients: list[str], seed: int = 8) -> None:
    chance = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(
            ["name", "Stage", "tags", "assignee", "client", "amount", "cost", "close_date",
             "source", "lost_reason", "confidence"]
        )  # fmt: skip
        for number in range(rows):
            client = clients[number % len(clients)]
            stage = chance.choice(STAGES)
            amount = chance.randrange(1_500, 60_000, 50)
            french = number % 2 == 0
            day = f"{chance.randint(1, 28):02d}"
            month = f"{chance.randint(1, 12):02d}"
            out.writerow(
                [
                    f"{client} — {chance.choice(SERVICES)} {number}",
                    stage,
                    chance.choice(TAGS),
                    chance.choice(OWNERS),
                    client,
                    f"{amount:,}".replace(",", "\u202f") + ",00 €" if french else str(amount),
                    str(amount * 6 // 10),
                    f"{day}/{month}/2026" if french else f"2026-{month}-{day}",
                    chance.choice(SOURCES),
                    chance.choice(REASONS) if stage == "Lost" else "",
                    str(chance.randint(1, 5)),
                ]
            )


def run_import(workspace: Path, table: Path) -> tuple[float, float, str]:
    start = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-c", MEASURED_CRM, "-C", str(workspace), "import", "opportunities",
         str(table), "--map", "Stage=list", "--as", "alice"],
        capture_output=True, text=True, env=CHILD_ENV, check=False,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    stderr, _, peak = completed.stderr.rpartition("\npeak-rss-kb=")
    if completed.returncode != 0 or not peak:
        sys.exit(f"crm import failed:\n{completed.stdout}\n{stderr[-3000:]}")
    return seconds, int(peak) / 1024, completed.stdout.strip()


def remove_imported(workspace: Path) -> None:
    """A fresh opportunities folder (a folder that held 100,000 files stays slow), flushed to
    disk so that the next run is not charged for this one's deletions."""
    folder = workspace / "opportunities"
    schema = (folder / "_project.yaml").read_bytes()
    shutil.rmtree(folder)
    folder.mkdir()
    (folder / "_project.yaml").write_bytes(schema)
    os.sync()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("workspace", type=Path)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    package = Path(__file__).resolve().parent.parent / "crmcli"
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True)
    with tempfile.TemporaryDirectory(prefix="bench-import-") as scratch:
        workspace = Path(scratch) / "ws"
        copy_without_opportunities(args.workspace.resolve(), workspace)
        clients = client_names(workspace)
        table = Path(scratch) / "opportunities.csv"
        write_csv(table, args.rows, clients)
        size = table.stat().st_size / 1e6
        print(f"{args.rows} rows ({size:.1f} MB) referencing {len(clients)} clients by name")
        os.sync()
        times, peaks = [], []
        for run in range(args.runs):
            seconds, peak, summary = run_import(workspace, table)
            created = sum(1 for _ in os.scandir(workspace / "opportunities")) - 1
            if created != args.rows:
                sys.exit(f"run {run + 1}: {created} files created, expected {args.rows}")
            print(f"run {run + 1}: {seconds:.1f} s, peak {peak:.0f} MB  ({summary})")
            times.append(seconds)
            peaks.append(peak)
            remove_imported(workspace)
    print(
        f"crm import median {statistics.median(times):.1f} s (target < 60 s), "
        f"peak memory median {statistics.median(peaks):.0f} MB (target < 1536 MB)"
    )


if __name__ == "__main__":
    main()
