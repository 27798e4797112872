"""Cold `crm check` against merely parsing every file with PyYAML's C loader.

    python benchmarks/bench_check.py /tmp/bigws [--runs 5]

Prints the median of each over the runs, the ratio (target: at most 2×) and the peak memory
of `crm check` (target: under 1 GB). Each measurement runs in a fresh process, so nothing is
cached in memory between runs; the operating system's file cache is warm for both.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASELINE = """
import os, sys, time, yaml
root = sys.argv[1]
start = time.perf_counter()
count = 0
for folder, _dirs, files in os.walk(root):
    for name in files:
        if name.endswith(".yaml"):
            with open(os.path.join(folder, name), "rb") as handle:
                yaml.load(handle, Loader=yaml.CSafeLoader)
            count += 1
print(time.perf_counter() - start, count)
"""


def run_timed(command: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak memory (MB) and stdout of a command (check may exit 1)."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.DEVNULL)
        _pid, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode not in (0, 1):
            sys.exit(f"{command} failed with exit code {process.returncode}")
        output.seek(0)
        return elapsed, usage.ru_maxrss / 1024, output.read().decode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("workspace", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    baseline_times, check_times, peaks = [], [], []
    files = 0
    for _run in range(args.runs):
        elapsed, _peak, out = run_timed([sys.executable, "-c", BASELINE, str(args.workspace)])
        baseline_times.append(elapsed)
        files = int(out.split()[1])
        elapsed, peak, _out = run_timed(
            [sys.executable, "-m", "crmcli", "-C", str(args.workspace), "check", "--format", "json"]
        )
        check_times.append(elapsed)
        peaks.append(peak)
    baseline = statistics.median(baseline_times)
    checked = statistics.median(check_times)
    print(f"files:                  {files}")
    print(
        f"parse only (C loader):  {baseline:.2f} s  (median of {args.runs}: {_list(baseline_times)})"
    )
    print(f"crm check (cold):       {checked:.2f} s  (median of {args.runs}: {_list(check_times)})")
    print(f"ratio:                  {checked / baseline:.2f}×  (target ≤ 2×)")
    print(f"crm check peak memory:  {max(peaks):.0f} MB  (target < 1024 MB)")


def _list(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


if __name__ == "__main__":
    main()
