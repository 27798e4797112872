"""Cold `crm check --no-cache` with and without encrypted hidden fields (issue 16).

    python benchmarks/bench_secrets.py /tmp/bigws [--runs 3]

Copies the workspace twice; in both, juniors' hidden fields become cost and amount (two stored
fields per opportunity); in one copy the manager gets an age key and `crm secrets enable`
encrypts them. Prints the median time of each check over the runs and their ratio (target: at
most 1.2×). Each check runs in a fresh process, with the manager's key in $CRM_IDENTITY.
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

import pyrage

HIDDEN = "hidden: [opportunities.cost, opportunities.amount, opportunities.profit]"


def prepare(source: Path, target: Path, identity: pyrage.x25519.Identity | None) -> None:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".crm", ".git"))
    crm_yaml = target / "crm.yaml"
    lines = crm_yaml.read_text(encoding="utf-8").splitlines(keepends=True)
    out, in_junior = [], False
    for line in lines:
        if line.strip().startswith("junior:"):
            in_junior = True
        elif in_junior and line.strip().startswith("hidden:"):
            line = line[: len(line) - len(line.lstrip())] + HIDDEN + "\n"
            in_junior = False
        out.append(line)
        if identity is not None and line == "  alice:\n":
            out.append(f"    age: {identity.to_public()}\n")
    crm_yaml.write_text("".join(out), encoding="utf-8")
    if identity is not None:
        run(target, identity, "secrets", "enable")


def run(root: Path, identity: pyrage.x25519.Identity, *args: str) -> float:
    env = {**os.environ, "CRM_IDENTITY": str(identity), "CRM_USER": "alice", "CRM_LANG": "en"}
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "crmcli", "-C", str(root), *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(done.stderr)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workspace", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    identity = pyrage.x25519.Identity.generate()
    with tempfile.TemporaryDirectory() as folder:
        plain, sealed = Path(folder) / "plain", Path(folder) / "sealed"
        prepare(options.workspace, plain, None)
        prepare(options.workspace, sealed, identity)
        values = sum(
            1
            for path in (sealed / "opportunities").glob("*.yaml")
            for line in path.read_text(encoding="utf-8").splitlines()
            if ": enc:v1:" in line
        )
        times: dict[str, list[float]] = {"plain": [], "sealed": []}
        for _ in range(options.runs):
            for name, root in (("plain", plain), ("sealed", sealed)):
                times[name].append(run(root, identity, "check", "--no-cache"))
    without, with_ = statistics.median(times["plain"]), statistics.median(times["sealed"])
    print(f"encrypted values: {values}")
    print(f"crm check --no-cache without secrets: {without:.2f} s (median of {options.runs})")
    print(f"crm check --no-cache with secrets:    {with_:.2f} s (median of {options.runs})")
    print(f"ratio: {with_ / without:.2f}× (target: at most 1.2×)")


if __name__ == "__main__":
    main()
