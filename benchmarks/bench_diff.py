"""Wall time of `crm diff HEAD~1..HEAD` for a commit touching 100 records (target: < 2 s).

    python benchmarks/bench_diff.py [--big /tmp/bigws-lead] [--repo /tmp/bigws-git] [--runs 5]

The first run copies the big workspace (see make_big_workspace.py) to REPO, makes it a git
repository and commits it (slow, once); later runs reuse it. Each run then resets REPO to
that first commit, commits a change touching 100 opportunities (moves, amounts, tags) and
times `crm diff HEAD~1..HEAD` as a fresh process, with Python's bytecode cache in place.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
TOUCHED = 100


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout


def prepare(big: Path, repo: Path) -> None:
    if (repo / ".git").is_dir() and git(repo, "rev-list", "--count", "HEAD").strip():
        return
    print(f"making {repo} from {big} (once; this takes a few minutes)", flush=True)
    shutil.rmtree(repo, ignore_errors=True)
    shutil.copytree(big, repo)
    git(repo, "init", "-q")
    git(repo, "config", "user.email", "alice@atelier.example")
    git(repo, "config", "user.name", "Alice Martin")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "big workspace")


def reset(repo: Path) -> None:
    first = git(repo, "rev-list", "--max-parents=0", "HEAD").split()[0]
    git(repo, "reset", "-q", "--hard", first)


def commit_change(repo: Path) -> None:
    """Change 100 opportunities: every third moves, every deal's amount grows, some get a tag."""
    folder = repo / "opportunities"
    names = sorted(p.name for p in folder.iterdir() if not p.name.startswith("_"))[:TOUCHED]
    for index, name in enumerate(names):
        path = folder / name
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"^amount: (\d+)", lambda m: f"amount: {int(m[1]) + 1000}", text, flags=re.M)
        if index % 3 == 0:
            text = re.sub(r"^list: .*$", "list: Negotiations", text, count=1, flags=re.M)
        if index % 5 == 0:
            text = re.sub(r"^tags: \[", "tags: [seo, ", text, count=1, flags=re.M)
        path.write_text(text, encoding="utf-8")
    git(repo, "commit", "-qam", f"{TOUCHED} deals updated")


def timed(repo: Path) -> tuple[float, float, str]:
    """Wall time, CPU time (crm and the git processes it waited for) and the output."""
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", "crmcli", "-C", str(repo), "diff", "HEAD~1..HEAD"],
        capture_output=True,
        text=True,
        check=False,
        env=CHILD_ENV,
    )
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if completed.returncode != 0:
        sys.exit(f"crm diff failed:\n{completed.stderr}")
    used = after.ru_utime - cpu.ru_utime + after.ru_stime - cpu.ru_stime
    return elapsed, used, completed.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--big", type=Path, default=Path("/tmp/bigws-lead"))
    parser.add_argument("--repo", type=Path, default=Path("/tmp/bigws-git"))
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    package = Path(__file__).resolve().parent.parent / "crmcli"
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True)
    prepare(args.big, args.repo)
    reset(args.repo)
    commit_change(args.repo)
    times, cpu, output = [], [], ""
    try:
        for _run in range(args.runs):
            elapsed, used, output = timed(args.repo)
            times.append(elapsed)
            cpu.append(used)
    finally:
        reset(args.repo)
    records = sum(1 for _ in os.scandir(args.repo / "opportunities"))
    print(output.splitlines()[0])
    print(f"repository: {args.repo} ({records} files in opportunities/), {TOUCHED} deals changed")
    values = ", ".join(f"{t:.3f}" for t in times)
    print(f"load average: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"CPU time (crm and its git processes) median {statistics.median(cpu):.3f} s")
    print(
        f"crm diff HEAD~1..HEAD median {statistics.median(times):.3f} s  ({values})  target < 2 s"
    )


if __name__ == "__main__":
    main()
