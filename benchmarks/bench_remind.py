"""Wall time of `crm remind --dry-run` with five schedule rules against a cold `crm check`
(target: remind < 2 × check).

    python benchmarks/bench_remind.py /tmp/bigws [--runs 3] [--check-runs 1]

The workspace's automations.yaml is swapped for five schedule rules for the duration of the
run and restored afterwards; the state file lives in a temporary folder. `--dry-run` renders
every due message but sends none, so no notification goes to an address that does not
exist. Each command runs as a fresh process with Python's bytecode cache in place.
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

CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
NOW = "2026-11-23T09:00"
RULES = """\
# five schedule rules for benchmarks/bench_remind.py (restored afterwards)
rules:
  - name: Follow-up reminder
    on: schedule
    project: opportunities
    when: "outcome == 'open' and days_since_update >= 7"
    repeat: 7 days
    do:
      - notify: assignee
        message: "Follow up on {{ record.name }} ({{ record.list }}, {{ days_since_update }} days quiet)"
  - name: Aging deal
    on: schedule
    project: opportunities
    when: "max_days and days_in_list > max_days"
    do:
      - notify: [assignee, channel:sales]
        message: "{{ record.name }} has been in {{ record.list }} for {{ days_in_list }} days"
  - name: Closing soon
    on: schedule
    project: opportunities
    when: "outcome == 'open' and days_until(close_date) >= 0 and days_until(close_date) <= 14"
    do:
      - notify: assignee
        message: "{{ record.name }} should close on {{ formatted.close_date }}"
  - name: Big quiet deal
    on: schedule
    project: opportunities
    when: "outcome == 'open' and amount >= 20000 and days_since_update >= 14"
    do:
      - notify: alice
        message: "{{ record.client_name }}: {{ formatted.amount }} quiet for {{ days_since_update }} days"
  - name: Thin margin
    on: schedule
    project: opportunities
    when: "outcome == 'open' and margin < 20"
    do:
      - notify: channel:sales
        message: "{{ record.name }}: margin {{ formatted.margin }}"
"""


def timed(workspace: Path, *args: str) -> tuple[float, str]:
    start = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", "crmcli", "-C", str(workspace), *args],
        capture_output=True,
        text=True,
        check=False,
        env=CHILD_ENV,
    )
    elapsed = time.perf_counter() - start
    if completed.returncode not in (0, 1) or "Traceback" in completed.stderr:
        sys.exit(f"crm {' '.join(args)} failed:\n{completed.stderr[-2000:]}")
    return elapsed, completed.stderr.strip().splitlines()[-1] if completed.stderr else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("workspace", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--check-runs", type=int, default=1)
    args = parser.parse_args()
    workspace = args.workspace.resolve()
    package = Path(__file__).resolve().parent.parent / "crmcli"
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True)
    automations = workspace / "automations.yaml"
    original = automations.read_bytes() if automations.exists() else None
    remind_times, check_times, summary = [], [], ""
    try:
        automations.write_text(RULES, encoding="utf-8")
        with tempfile.TemporaryDirectory() as folder:
            state = str(Path(folder) / "state.jsonl")
            for _run in range(args.runs):
                elapsed, summary = timed(
                    workspace, "remind", "--dry-run", "--now", NOW, "--state-file", state
                )
                remind_times.append(elapsed)
        for _run in range(args.check_runs):
            check_times.append(timed(workspace, "check")[0])
    finally:
        if original is None:
            automations.unlink()
        else:
            automations.write_bytes(original)
    records = sum(1 for _ in os.scandir(workspace / "opportunities"))
    print(f"workspace: {workspace} ({records} files in opportunities/), 5 schedule rules")
    print(f"remind --dry-run: {summary}")
    remind = statistics.median(remind_times)
    print(
        f"crm remind --dry-run  median {remind:.1f} s  ({', '.join(f'{t:.1f}' for t in remind_times)})"
    )
    if check_times:
        check = statistics.median(check_times)
        print(
            f"crm check (cold)      median {check:.1f} s  ({', '.join(f'{t:.1f}' for t in check_times)})"
        )
        print(f"ratio remind / check  {remind / check:.2f}  (target < 2)")
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")


if __name__ == "__main__":
    main()
