"""Hidden fields encrypted, bad input (issue 16): a damaged ciphertext, another workspace's
ciphertext, a missing key file, a member left out of the key file, writes without a key, a
plain value written by hand — each a clear problem, no traceback, nothing written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyrage
import pytest

from .conftest import crm_in_process

DEAL = "opportunities/acme-website.yaml"


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, pyrage.x25519.Identity]:
    return {name: pyrage.x25519.Identity.generate() for name in ("alice", "bruno", "other")}


def env(identity: pyrage.x25519.Identity | None, tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return {
        "HOME": str(home),
        "XDG_CONFIG_HOME": "",
        "CRM_IDENTITY": str(identity) if identity else "",
        "CRM_USER": "alice",
    }


def enabled(workspace, tmp_path, keys, name: str = "ws") -> Path:
    root = workspace()
    if name != "ws":
        root = shutil.copytree(root, tmp_path / name)
    text = (root / "crm.yaml").read_text(encoding="utf-8")
    text = text.replace("role: manager,", f"role: manager, age: {keys['alice'].to_public()},", 1)
    (root / "crm.yaml").write_text(text, encoding="utf-8")
    run = crm_in_process("-C", root, "secrets", "enable", env=env(keys["alice"], tmp_path))
    assert run.returncode == 0, run.stderr
    return root


def check_codes(root: Path, identity, tmp_path: Path) -> tuple[int, str]:
    run = crm_in_process("-C", root, "check", "--no-cache", env=env(identity, tmp_path))
    assert "Traceback" not in run.stderr + run.stdout
    return run.returncode, run.stdout + run.stderr


def test_enable_seals_the_cost_and_a_holder_reads_it(workspace, tmp_path, keys):
    root = enabled(workspace, tmp_path, keys)
    text = (root / DEAL).read_text(encoding="utf-8")
    assert "cost: enc:v1:" in text and "7000" not in text
    shown = crm_in_process(
        "-C", root, "show", "opportunities/acme-website", env=env(keys["alice"], tmp_path)
    )
    assert "7" in shown.stdout and "000" in shown.stdout and "profit" in shown.stdout
    code, out = check_codes(root, keys["alice"], tmp_path)
    assert code == 0 and "notice" not in out


def test_without_a_key_the_value_is_unknown_and_check_only_notes_it(workspace, tmp_path, keys):
    root = enabled(workspace, tmp_path, keys)
    code, out = check_codes(root, keys["bruno"], tmp_path)
    assert code == 0, out
    assert "notice[hidden-values-locked]" in out


def test_an_unchanged_value_keeps_its_ciphertext_and_set_changes_one_line(
    workspace, tmp_path, keys
):
    root = enabled(workspace, tmp_path, keys)
    before = (root / DEAL).read_text(encoding="utf-8").splitlines()
    run = crm_in_process(
        "-C",
        root,
        "set",
        "opportunities/acme-website",
        "amount=13000",
        "cost=7000",
        env=env(keys["alice"], tmp_path),
    )
    assert run.returncode == 0, run.stderr
    after = (root / DEAL).read_text(encoding="utf-8").splitlines()
    assert [a for a, b in zip(before, after, strict=True) if a != b] == ["amount: 12000"]


def test_set_of_a_hidden_field_without_a_key_is_refused(workspace, tmp_path, keys):
    root = enabled(workspace, tmp_path, keys)
    before = (root / DEAL).read_bytes()
    run = crm_in_process(
        "-C", root, "set", "opportunities/acme-website", "cost=1", env=env(keys["bruno"], tmp_path)
    )
    assert run.returncode != 0 and "Traceback" not in run.stderr
    assert "no key to this workspace's hidden fields" in run.stderr
    assert (root / DEAL).read_bytes() == before


def test_a_damaged_ciphertext_is_an_error_at_its_line(workspace, tmp_path, keys):
    root = enabled(workspace, tmp_path, keys)
    text = (root / DEAL).read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if x.startswith("cost:"))
    (root / DEAL).write_text(text.replace(line, line[:-6] + "AAAAAA"), encoding="utf-8")
    code, out = check_codes(root, keys["alice"], tmp_path)
    assert code == 1 and "hidden-value-damaged" in out and "acme-website.yaml:" in out


def test_another_workspaces_ciphertext_is_named_as_such(workspace, tmp_path, keys):
    other = enabled(workspace, tmp_path, keys, name="other")  # its own data key
    root = enabled(workspace, tmp_path, keys)
    foreign = next(
        x for x in (other / DEAL).read_text(encoding="utf-8").splitlines() if x.startswith("cost:")
    )
    text = (root / DEAL).read_text(encoding="utf-8")
    own = next(x for x in text.splitlines() if x.startswith("cost:"))
    (root / DEAL).write_text(text.replace(own, foreign), encoding="utf-8")
    code, out = check_codes(root, keys["alice"], tmp_path)
    assert code == 1 and "hidden-value-other-key" in out


def test_a_missing_key_file_is_an_error_and_writes_are_refused(workspace, tmp_path, keys):
    root = enabled(workspace, tmp_path, keys)
    (root / "keys/data-key.age").unlink()
    code, out = check_codes(root, keys["alice"], tmp_path)
    assert code == 1 and "secrets-key-file-missing" in out
    before = (root / DEAL).read_bytes()
    run = crm_in_process(
        "-C", root, "set", "opportunities/acme-website", "cost=1", env=env(keys["alice"], tmp_path)
    )
    assert run.returncode != 0 and "is missing" in run.stderr and "Traceback" not in run.stderr
    assert (root / DEAL).read_bytes() == before


def test_a_member_left_out_of_the_key_file_reads_nothing_and_rotate_needs_a_holder(
    workspace, tmp_path, keys
):
    root = enabled(workspace, tmp_path, keys)
    key_file = root / "keys/data-key.age"
    text = key_file.read_text(encoding="utf-8")
    key_file.write_text(
        "\n".join(x for x in text.splitlines() if not x.startswith("  alice:")) + "\n"
    )
    code, out = check_codes(root, keys["alice"], tmp_path)
    assert code == 0 and "notice[hidden-values-locked]" in out
    before = (root / DEAL).read_bytes()
    run = crm_in_process("-C", root, "secrets", "rotate", env=env(keys["alice"], tmp_path))
    assert run.returncode != 0 and "needs the current one" in run.stderr
    assert (root / DEAL).read_bytes() == before


def test_a_plain_value_written_by_hand_is_an_error_and_fmt_encrypts_it(workspace, tmp_path, keys):
    root = enabled(workspace, tmp_path, keys)
    text = (root / DEAL).read_text(encoding="utf-8")
    own = next(x for x in text.splitlines() if x.startswith("cost:"))
    (root / DEAL).write_text(text.replace(own, "cost: 6500"), encoding="utf-8")
    code, out = check_codes(root, keys["alice"], tmp_path)
    assert code == 1 and "hidden-value-plain" in out and "6500" not in out
    run = crm_in_process("-C", root, "fmt", env=env(keys["alice"], tmp_path))
    assert run.returncode == 0, run.stderr
    assert "6500" not in (root / DEAL).read_text(encoding="utf-8")
    assert check_codes(root, keys["alice"], tmp_path)[0] == 0


def test_rotate_makes_a_new_key_and_the_old_ciphertexts_go(workspace, tmp_path, keys):
    root = enabled(workspace, tmp_path, keys)
    old = (root / DEAL).read_text(encoding="utf-8")
    run = crm_in_process("-C", root, "secrets", "rotate", env=env(keys["alice"], tmp_path))
    assert run.returncode == 0, run.stderr
    new = (root / DEAL).read_text(encoding="utf-8")
    assert new != old and "cost: enc:v1:" in new
    assert check_codes(root, keys["alice"], tmp_path)[0] == 0


@pytest.mark.parametrize("key_id", ["123456789012", "000000000017", "0000000e1000"])
def test_a_key_id_of_decimal_digits_stays_text_in_the_key_file(key_id):
    # One key in ~280 is all decimal digits; YAML would read it as a number and the key file
    # would no longer name its key (a flaky CI failure, 2026-12-01).
    from crmcli.secrets.cipher import KEY_BYTES, DataKey
    from crmcli.secrets.keyfile import read_key_file, write_key_file

    identity = pyrage.x25519.Identity.generate()
    key = DataKey(key_id, bytes(range(KEY_BYTES)))
    read = read_key_file(write_key_file(key, {"alice": identity.to_public()}))
    assert read.key_id == key_id
    assert read.unwrap([identity]) == key
    unquoted = f"key_id: {key_id}\nwrapped: {{}}\n"  # a key file written before the quotes
    assert read_key_file(unquoted).key_id == key_id
