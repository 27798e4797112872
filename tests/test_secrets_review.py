"""Hidden fields encrypted, in reviews (issue 16): the textconv view and the merge driver open
values for a key holder and never print them to someone without the key."""

from __future__ import annotations

from .conftest import crm_in_process, plain
from .repos import git
from .test_secrets_bad_input import DEAL, enabled, env, keys  # noqa: F401 (keys: a fixture)


def test_textconv_opens_values_for_a_key_holder_only(workspace, tmp_path, keys):  # noqa: F811
    root = enabled(workspace, tmp_path, keys)
    views = {
        name: crm_in_process(
            "-C",
            root,
            "git",
            "textconv",
            "opportunities",
            root / DEAL,
            env=env(keys[name], tmp_path),
        ).stdout
        for name in ("alice", "bruno")  # alice holds the key, bruno does not
    }
    assert "7 000" in plain(views["alice"]) and "enc:v1" not in views["alice"]
    assert "7 000" not in plain(views["bruno"]) and "enc:v1" not in views["bruno"]


def test_a_conflict_on_a_hidden_field_names_it_without_its_values(workspace, tmp_path, keys):  # noqa: F811
    root = enabled(workspace, tmp_path, keys)
    git(root, "init", "-q")
    base = (root / DEAL).read_text(encoding="utf-8")
    sides = {}
    for name, cost in (("ours", "7100"), ("theirs", "7200")):
        run = crm_in_process(
            "-C",
            root,
            "set",
            "opportunities/acme-website",
            f"cost={cost}",
            env=env(keys["alice"], tmp_path),
        )
        assert run.returncode == 0, run.stderr
        sides[name] = (root / DEAL).read_text(encoding="utf-8")
        (root / DEAL).write_text(base, encoding="utf-8")
    files = {}
    for name, text in (("base", base), *sides.items()):
        files[name] = tmp_path / f"{name}.yaml"
        files[name].write_text(text, encoding="utf-8")
    junior = {**env(keys["bruno"], tmp_path), "CRM_USER": "bruno"}
    run = crm_in_process(
        "-C",
        root,
        "git",
        "merge-driver",
        files["base"],
        files["ours"],
        files["theirs"],
        DEAL,
        env=junior,
    )
    assert run.returncode == 1 and "cost" in run.stderr
    for value in ("7100", "7 100", "7200", "7 200", "7000", "7 000"):
        assert value not in plain(run.stderr)
    assert "7100" not in files["ours"].read_text(encoding="utf-8")  # the file keeps ciphertexts
