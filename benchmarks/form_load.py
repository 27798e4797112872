"""Sustained submissions per second and latency of `crm form serve` on loopback (targets: at
least 20 submissions/s and p95 under 200 ms on 2 cores, without --commit).

    python benchmarks/form_load.py /tmp/bigws [--submissions 400] [--connections 20]

The workspace is changed: its clients' e-mail, phone, region and industry are marked
`form: true` and a `created` rule assigns each new client (least loaded, by region), so run it on a
workspace made for benchmarks (make_big_workspace.py). The server runs as `crm form serve
clients` in its own process; submissions go over `--connections` concurrent keep-alive
connections (httpx), each a distinct lead, and every one must answer 201: as fast as they go
(the sustained rate; latency then includes waiting behind the other connections), or offered at
`--rate` per second (latency as one visitor sees it at that load; `--rate 20 --submissions 600`
offers 20/s for 30 s). The load average before and after is printed: the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

RULE = """
  - name: Assign web leads
    on: created
    project: clients
    do:
      - assign: {strategy: least_loaded, among: [alice, bruno, olga, karim], by: {region: region}}
"""


def prepare(root: Path) -> None:
    """Mark the clients' contact fields for the form (textually: the schema keeps its layout)
    and add the rule that assigns web leads."""
    schema = root / "clients" / "_project.yaml"
    text = schema.read_text(encoding="utf-8")
    for key in ("email", "phone", "region", "industry"):
        text = text.replace(f"  {key}: {{type:", f"  {key}: {{form: true, type:", 1)
    schema.write_text(text, encoding="utf-8")
    rules = root / "automations.yaml"
    text = rules.read_text(encoding="utf-8")
    if "Assign web leads" not in text:  # appended as text: YAML 1.1 dumpers turn on: into true
        rules.write_text(text.rstrip("\n") + "\n" + RULE.lstrip("\n"), encoding="utf-8")


def start_server(root: Path, port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "crmcli", "-C", str(root), "form", "serve", "clients"]
    options = ["--port", str(port), "--rate-limit", "100000/minute", "--as", "alice"]
    server = subprocess.Popen([*command, *options], stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the form server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workspace", type=Path)
    parser.add_argument("--submissions", type=int, default=400)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--rate",
        type=float,
        default=0,
        help="submissions per second offered (0: as fast as possible)",
    )
    args = parser.parse_args()
    root = args.workspace.resolve()
    prepare(root)
    before = len(list((root / "clients").glob("*.yaml")))
    started = time.perf_counter()
    server = start_server(root, args.port)
    print(f"server ready in {time.perf_counter() - started:.1f} s")
    url = f"http://127.0.0.1:{args.port}/api/clients"
    stamp = os.getpid()
    clients = [httpx.Client(timeout=60) for _ in range(args.connections)]
    latencies: list[float] = []

    def submit(n: int) -> int:
        if args.rate:  # open loop: the n-th visitor arrives at n / rate seconds
            time.sleep(max(0.0, began + n / args.rate - time.perf_counter()))
        client = clients[n % args.connections]
        lead = {
            "name": f"Web lead {stamp} {n}",
            "email": f"lead{stamp}.{n}@prospect.example",
            "region": "Lyon",
        }
        start = time.perf_counter()
        status = client.post(url, json=lead).status_code
        latencies.append(time.perf_counter() - start)
        return status

    print("load average before: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    began = time.perf_counter()
    try:
        with ThreadPoolExecutor(args.connections) as pool:
            statuses = list(pool.map(submit, range(args.submissions)))
        elapsed = time.perf_counter() - began
    finally:
        server.terminate()
        server.wait(30)
    after = len(list((root / "clients").glob("*.yaml")))
    latencies.sort()
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    print(f"{args.submissions} submissions over {args.connections} connections in {elapsed:.1f} s")
    print(f"sustained: {args.submissions / elapsed:.1f} submissions/s")
    print(f"latency: p50 {statistics.median(latencies) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms")
    print(f"answers other than 201: {sum(s != 201 for s in statuses)}; new files: {after - before}")
    print("load average after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
