"""`crm dashboard sales` against a cold `crm check` of the same workspace.

    python benchmarks/bench_dashboard.py /tmp/bigws [--runs 3]

Renders the sample workspace's current `dashboards/sales.yaml` (copied into the workspace as
`dashboards/bench-sales.yaml` for the runs and removed afterwards), so the benchmark follows
the dashboard the demo shows even when the big workspace was generated from an older one.
Prints the median of each over the runs, the ratio (target: under 3×) and the peak memory
of `crm dashboard` (target: under 1.5 GB). Each measurement is a fresh process; the
operating system's file cache is warm for both.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SAMPLE_DASHBOARD = Path(__file__).resolve().parent.parent / "sample-workspace/dashboards/sales.yaml"
NAME = "bench-sales"


def run_timed(command: list[str], allowed: tuple[int, ...] = (0,)) -> tuple[float, float]:
    """Wall seconds and peak memory (MB) of a command."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        _pid, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        if code not in allowed:
            output.seek(0)
            sys.exit(f"{command} failed with exit code {code}:\n{output.read().decode()}")
        return elapsed, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("workspace", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    target = args.workspace / "dashboards" / f"{NAME}.yaml"
    if target.exists():
        sys.exit(f"{target} exists: remove it first (left by an interrupted run?)")
    crm = [sys.executable, "-m", "crmcli", "-C", str(args.workspace)]
    checks, dashboards, peaks = [], [], []
    with tempfile.TemporaryDirectory() as out:
        shutil.copyfile(SAMPLE_DASHBOARD, target)
        try:
            for _run in range(args.runs):
                checks.append(run_timed([*crm, "check", "--format", "json"], (0, 1))[0])
                elapsed, peak = run_timed([*crm, "dashboard", NAME, "--out", out])
                dashboards.append(elapsed)
                peaks.append(peak)
        finally:
            target.unlink()
    check, dashboard = statistics.median(checks), statistics.median(dashboards)
    print(f"load:                   {os.getloadavg()[0]:.2f} (1 min average, at the end)")
    print(f"crm check (cold):       {check:.1f} s  (median of {args.runs}: {_list(checks)})")
    print(
        f"crm dashboard sales:    {dashboard:.1f} s  (median of {args.runs}: {_list(dashboards)})"
    )
    print(f"ratio:                  {dashboard / check:.2f}×  (target < 3×)")
    print(f"dashboard peak memory:  {max(peaks):.0f} MB  (target < 1536 MB)")


def _list(values: list[float]) -> str:
    return ", ".join(f"{v:.1f}" for v in values)


if __name__ == "__main__":
    main()
