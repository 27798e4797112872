"""Special files (issue 13, point 5): a record, schema or `.crm` that is a symbolic link
leaving the workspace, a FIFO, a device or a socket is reported, naming the file, and never
read or written (a FIFO never blocks a command); a linked project folder is refused, on disk
and when committed to git."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from crmcli.core.loader import Loader
from crmcli.core.yamlio import YamlReadError, read_regular, read_text
from crmcli.git.sources import GitSource

from .conftest import check, crm, write_files
from .repos import Repo, git

ENV = {"CRM_NOW": "2026-11-23T10:00:00+01:00", "CRM_USER": "alice"}
OUTSIDE_DEAL = "name: Secret deal\nlist: Won\nclient: acme\namount: 99000\n"


def problems_at(root: Path) -> dict[str, tuple[str, str]]:
    return {p.path: (p.code, p.message) for p in check(root).problems}


def test_a_fifo_record_is_reported_and_never_blocks_a_command(workspace):
    root = workspace()
    os.mkfifo(root / "opportunities" / "pipe.yaml")  # no writer: reading it would wait forever

    listed = crm("-C", root, "list", "opportunities", env=ENV, timeout=60)
    checked = crm("-C", root, "check", env=ENV, timeout=60)

    assert listed.returncode == 0, listed.stderr
    assert "Acme — Website" in listed.stdout
    assert "opportunities/pipe was left out" in listed.stderr
    assert checked.returncode == 1
    assert "opportunities/pipe.yaml:1:1: error[special-file]: this is a FIFO" in checked.stdout


def test_a_socket_and_a_device_are_not_read(workspace, tmp_path):
    root = workspace()
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(root / "opportunities" / "sock.yaml"))
    try:
        found = problems_at(root)
    finally:
        server.close()
    assert found["opportunities/sock.yaml"][0] == "special-file"
    assert "socket" in found["opportunities/sock.yaml"][1]

    with pytest.raises(YamlReadError) as device:
        read_regular(Path("/dev/zero"), 1000)  # a device never ends
    assert device.value.code == "special-file"
    assert "device" in device.value.message


def test_a_record_linked_out_of_the_workspace_is_refused_one_linked_inside_is_read(
    workspace, tmp_path
):
    root = workspace({"archive/old-deal.txt": OUTSIDE_DEAL})
    (tmp_path / "outside.yaml").write_text(OUTSIDE_DEAL, encoding="utf-8")
    (root / "opportunities" / "secret.yaml").symlink_to(tmp_path / "outside.yaml")
    (root / "opportunities" / "old-deal.yaml").symlink_to(root / "archive" / "old-deal.txt")

    found = problems_at(root)
    shown = crm("-C", root, "show", "opportunities/secret", env=ENV)

    assert found["opportunities/secret.yaml"][0] == "link-outside"
    assert str(tmp_path / "outside.yaml") in found["opportunities/secret.yaml"][1]
    assert "opportunities/old-deal.yaml" not in found  # a link inside is a file like another
    assert "99000" not in shown.stdout and "99 000" not in shown.stdout
    assert shown.returncode != 0


def test_a_linked_project_folder_is_refused_on_disk(workspace, tmp_path):
    root = workspace()
    elsewhere = write_files(
        tmp_path / "elsewhere",
        {"_project.yaml": "name: Deals\nlists: [Open]\n", "big.yaml": "name: Big\nlist: Open\n"},
    )
    (root / "deals").symlink_to(elsewhere, target_is_directory=True)

    found = problems_at(root)
    listed = crm("-C", root, "list", "deals", env=ENV)

    assert found["deals"][0] == "special-file"
    assert "symbolic link" in found["deals"][1]
    assert listed.returncode != 0
    assert "Big" not in listed.stdout


def test_a_committed_symlinked_project_folder_or_record_is_refused_by_git_sources(tmp_path):
    repo = Repo(tmp_path, tmp_path)
    write_files(tmp_path, {"crm.yaml": "name: Agency\nlocale: en_US\ncurrency: EUR\n"})
    write_files(tmp_path / "real", {"_project.yaml": "name: Real\nlists: [Open]\n"})
    write_files(tmp_path / "real", {"one.yaml": "name: One\nlist: Open\n"})
    (tmp_path / "linked").symlink_to("/etc", target_is_directory=True)
    (tmp_path / "real" / "two.yaml").symlink_to("one.yaml")
    repo.commit("a linked folder and a linked record")
    assert git(tmp_path, "ls-files", "-s", "linked").startswith("120000")

    loader = Loader(tmp_path, GitSource(tmp_path, "HEAD"))
    workspace = loader.load()
    found = {p.path: p.code for p in workspace.problems}

    assert found == {"linked": "special-file", "real/two.yaml": "special-file"}
    assert set(workspace.projects) == {"real"}
    assert set(workspace.projects["real"].records) == {"one"}
    assert "real/two.yaml" in workspace.left_out


def test_a_state_folder_linked_out_of_the_workspace_is_never_written(workspace, tmp_path):
    root = workspace()
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (root / ".crm").symlink_to(outside, target_is_directory=True)

    moved = crm("-C", root, "move", "opportunities/acme-website", "Lost", env=ENV)
    checked = problems_at(root)

    assert moved.returncode == 1
    assert "outside the workspace" in moved.stderr
    assert list(outside.iterdir()) == []  # no lock, no journal, nothing
    assert "list: Won" in (root / "opportunities" / "acme-website.yaml").read_text()
    assert checked[".crm"][0] == "special-file"


def test_files_are_read_with_a_bound_from_the_open_descriptor(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_bytes(b"name: x\n" + b"#" * 2000)
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)

    with pytest.raises(YamlReadError) as too_large:
        read_text(big, 1000)
    with pytest.raises(YamlReadError) as pipe:
        read_text(fifo, 1000)  # returns at once: opened without waiting for a writer

    assert too_large.value.code == "file-too-large"
    assert pipe.value.code == "special-file"
    assert read_text(big, 5000).startswith("name: x")
