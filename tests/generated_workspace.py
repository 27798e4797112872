"""Workspaces from the benchmark generator (benchmarks/make_big_workspace.py), at test sizes."""

from __future__ import annotations

import sys
from pathlib import Path

from .conftest import REPO


def generate(root: Path, clients: int, deals: int, seed: int = 3) -> Path:
    """The sample's schemas with `clients` generated clients and `deals` opportunities."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import make_big_workspace
        from crmgen import write
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    projects, files = make_big_workspace.build(seed=seed, n_clients=clients, n_deals=deals)
    write(root, make_big_workspace.static_files(), projects, files, verify=False)
    return root
