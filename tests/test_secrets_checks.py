"""Hidden fields encrypted (issue 16), what `crm check` says about them: the commit that wrote a
plain value into a hidden field (`--since`), members who may read hidden fields but hold no
copy of the key, and what a reader without the key is shown."""

from __future__ import annotations

import re

from .conftest import crm_in_process
from .repos import DEAL, Repo
from .test_secrets_bad_input import enabled, env, keys  # noqa: F401 (keys is a fixture)


def test_check_since_names_the_commit_that_wrote_a_plain_hidden_value(
    workspace,
    tmp_path,
    keys,  # noqa: F811 (the fixture imported above)
):
    root = workspace()
    repo = Repo(root, root)
    base = repo.commit("plain costs, before secrets")
    enabled(workspace, tmp_path, keys)
    repo.commit("encrypt hidden fields")
    repo.write(DEAL, re.sub(r"cost: enc:v1:\S+", "cost: 7100", (root / DEAL).read_text()))
    plain = repo.commit("cost by hand", author="bruno")

    run = crm_in_process("-C", root, "check", "--since", base, env=env(keys["alice"], tmp_path))
    out = run.stdout + run.stderr
    assert "Traceback" not in out and run.returncode != 0
    found = [line for line in out.splitlines() if "plain text" in line and "commit" in line]
    assert len(found) == 1, out  # the plain costs before secrets were enabled are not reported
    assert f"{DEAL}:7:1: error[hidden-value-plain]" in found[0]
    assert plain[:7] in found[0] and "Bruno Petit" in found[0]
    assert "opportunities.cost" in found[0] and "7100" not in found[0]


def test_check_warns_for_a_member_who_may_see_hidden_fields_without_the_key(
    workspace,
    tmp_path,
    keys,  # noqa: F811 (the fixture imported above)
):
    root = enabled(workspace, tmp_path, keys)
    text = (root / "crm.yaml").read_text(encoding="utf-8")
    bruno = next(line for line in text.splitlines() if line.strip().startswith("bruno:"))
    added = (
        f"{bruno}\n"
        "  claire: {name: Claire Roy, email: claire@agency.example, role: manager}\n"
        f"  dora: {{name: Dora Lenz, email: dora@agency.example, role: manager, "
        f"age: {keys['other'].to_public()}}}"
    )
    (root / "crm.yaml").write_text(text.replace(bruno, added), encoding="utf-8")

    run = crm_in_process("-C", root, "check", env=env(keys["alice"], tmp_path))
    out = run.stdout + run.stderr
    assert run.returncode == 0 and "Traceback" not in out, out
    warned = {
        line.split("warning[")[1].partition("]")[0]: line
        for line in out.splitlines()
        if "warning[member-" in line
    }
    assert set(warned) == {"member-without-key", "member-not-in-key-file"}, out
    assert "Claire Roy" in warned["member-without-key"] and "age:" in warned["member-without-key"]
    assert "Dora Lenz" in warned["member-not-in-key-file"]
    assert "crm secrets rotate" in warned["member-not-in-key-file"]
    assert "Alice" not in out and "Bruno" not in out  # a key holder, and a junior


def test_a_reader_who_may_see_a_hidden_field_without_the_key_reads_encrypted(
    workspace,
    tmp_path,
    keys,  # noqa: F811 (the fixture imported above)
):
    root = enabled(workspace, tmp_path, keys)
    manager_without_key = env(keys["bruno"], tmp_path)  # alice's role, bruno's identity
    shown = crm_in_process(
        "-C", root, "show", "opportunities/acme-website", env=manager_without_key
    )
    listed = crm_in_process(
        "-C", root, "list", "opportunities", "-c", "id,cost", env=manager_without_key
    )
    for run in (shown, listed):
        assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr
        assert "(encrypted)" in run.stdout and "7000" not in run.stdout.replace(" ", "")
    assert re.search(r"cost\s+\(encrypted\)", shown.stdout)

    french = crm_in_process(
        "--lang", "fr", "-C", root, "show", "opportunities/acme-website", env=manager_without_key
    )
    assert "(chiffré)" in french.stdout
    holder = crm_in_process(
        "-C", root, "show", "opportunities/acme-website", env=env(keys["alice"], tmp_path)
    )
    assert "(encrypted)" not in holder.stdout
    junior = crm_in_process(
        "-C", root, "show", "opportunities/acme-website", "--as", "bruno", env=manager_without_key
    )
    assert "cost" not in junior.stdout  # a role that may not see the field is not told of it
