"""Cold `crm check --no-cache` with and without encrypted hidden fields (issue 16), and the
index with secrets enabled (issue 14).

    python benchmarks/bench_secrets.py /tmp/bigws [--runs 3] [--index]

Copies the workspace twice; in both, juniors' hidden fields become cost and amount (two stored
fields per opportunity); in one copy the manager gets an age key and `crm secrets enable`
encrypts them. Prints the median time of each check over the runs and their ratio (target: at
most 1.2×). Each check runs in a fresh process, with the manager's key in $CRM_IDENTITY.
`--index` instead measures, on the encrypted copy, `crm check` and `crm show` of a deal and of
a client, warm (the index in `.crm/` holds ciphertext only) against `--no-cache`, for the
manager (key holder) and for a member without the key.
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


def run(root: Path, identity: pyrage.x25519.Identity | None, *args: str) -> float:
    key = str(identity) if identity is not None else ""
    env = {**os.environ, "CRM_IDENTITY": key, "CRM_USER": "alice", "CRM_LANG": "en"}
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
    parser.add_argument("--index", action="store_true", help="warm against --no-cache instead")
    options = parser.parse_args()
    identity = pyrage.x25519.Identity.generate()
    with tempfile.TemporaryDirectory() as folder:
        plain, sealed = Path(folder) / "plain", Path(folder) / "sealed"
        prepare(options.workspace, sealed, identity)
        if options.index:
            warm_against_no_cache(sealed, identity, options.runs)
            return
        prepare(options.workspace, plain, None)
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


def warm_against_no_cache(root: Path, identity: pyrage.x25519.Identity, runs: int) -> None:
    """Median seconds of each reading command, warm and with --no-cache, for the key holder
    and for a reader without the key (HOME has no identity either)."""
    deal = "opportunities/" + sorted((root / "opportunities").glob("[!_]*.yaml"))[0].stem
    client = "clients/" + sorted((root / "clients").glob("[!_]*.yaml"))[0].stem
    commands = {"check": ("check",), "show deal": ("show", deal), "show client": ("show", client)}
    readers = {"key holder": identity, "no key": None}
    print(f"{'command':<12} {'reader':<11} {'warm s':>7} {'--no-cache s':>13} {'ratio':>6}")
    for reader, key in readers.items():
        run(root, key, "check")  # the index, built (or reused) by this reader
        for name, args in commands.items():
            warm = statistics.median(run(root, key, *args) for _ in range(runs))
            cold = statistics.median(run(root, key, *args, "--no-cache") for _ in range(runs))
            print(f"{name:<12} {reader:<11} {warm:>7.2f} {cold:>13.2f} {warm / cold:>6.2f}")


if __name__ == "__main__":
    main()
