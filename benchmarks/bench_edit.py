"""Wall time of `crm add`, `crm move` and `crm set` on a large workspace (target: < 0.5 s).

    python benchmarks/bench_edit.py /tmp/bigws [--runs 5]

Each command runs as a fresh process, as a salesperson would run it, with Python's bytecode
cache in place (as after any install); files it touched are restored afterwards so the
workspace is unchanged.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(workspace: Path, *args: str) -> float:
    start = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", "crmcli", "-C", str(workspace), *args, "--as", "alice"],
        capture_output=True,
        text=True,
        check=False,
        env=CHILD_ENV,
    )
    elapsed = time.perf_counter() - start
    if completed.returncode != 0:
        sys.exit(f"crm {' '.join(args)} failed:\n{completed.stderr}")
    return elapsed


def pick_open_deal(workspace: Path) -> tuple[str, str]:
    """An opportunity id with its list, found without loading the workspace."""
    folder = workspace / "opportunities"
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if not entry.name.startswith("_"):
            text = Path(entry.path).read_text(encoding="utf-8")
            if "\nlist: Proposal sent\n" in text:
                return entry.name[:-5], "Proposal sent"
    sys.exit("no deal in Proposal sent")


def client_of(workspace: Path, deal: str) -> str:
    for line in (
        (workspace / "opportunities" / f"{deal}.yaml").read_text(encoding="utf-8").splitlines()
    ):
        if line.startswith("client: "):
            return line.split(": ", 1)[1].strip()
    sys.exit(f"{deal} has no client")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("workspace", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    workspace = args.workspace.resolve()
    package = Path(__file__).resolve().parent.parent / "crmcli"
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True)
    deal, stage = pick_open_deal(workspace)
    deal_path = workspace / "opportunities" / f"{deal}.yaml"
    original = deal_path.read_bytes()
    client = client_of(workspace, deal)
    results: dict[str, list[float]] = {"add": [], "move": [], "set": []}
    try:
        for run in range(args.runs):
            name = f"Benchmark deal {run}"
            results["add"].append(
                timed(
                    workspace,
                    "add",
                    "opportunities",
                    name,
                    "--set",
                    f"client={client}",
                    "--set",
                    "amount=12 000",
                )
            )
            (workspace / "opportunities" / f"benchmark-deal-{run}.yaml").unlink()
            results["move"].append(
                timed(workspace, "move", f"opportunities/{deal}", "Negotiations")
            )
            deal_path.write_bytes(original)
            results["set"].append(
                timed(workspace, "set", f"opportunities/{deal}", "amount=13000", "confidence=4")
            )
            deal_path.write_bytes(original)
    finally:
        deal_path.write_bytes(original)
    records = sum(1 for _ in os.scandir(workspace / "opportunities"))
    print(f"workspace: {workspace} ({records} files in opportunities/), deal {deal} in {stage}")
    for command, times in results.items():
        values = ", ".join(f"{t:.3f}" for t in times)
        print(
            f"crm {command:5} median {statistics.median(times):.3f} s  ({values})  target < 0.5 s"
        )


if __name__ == "__main__":
    main()
