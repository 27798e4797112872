"""Which fields a project's web form asks, and what `crm check` says about the form keys."""

from __future__ import annotations

from .conftest import check, codes, crm
from .form_fixtures import CLIENTS


def test_the_form_asks_the_name_then_the_marked_fields_in_schema_order(workspace):
    from crmcli.core.loader import Loader
    from crmcli.form.schema import form_of

    root = workspace({"clients/_project.yaml": CLIENTS})
    project = Loader(root).load(lazy=True).projects["clients"]
    form = form_of(project)
    assert [f.key for f in form.fields] == [
        "name",
        "email",
        "phone",
        "region",
        "budget",
        "start",
        "message",
    ]
    assert form.list_name == "Prospects"
    email = form.fields[1]
    assert (email.label, email.input, email.placeholder) == (
        "E-mail",
        "email",
        "you@company.example",
    )
    assert form.fields[4].help == "An estimate is fine."
    assert form.fields[6].input == "textarea"
    assert codes(check(root)) == []


def test_form_true_on_a_computed_field_is_a_problem(workspace):
    root = workspace(
        {
            "clients/_project.yaml": """
                name: Clients
                lists: [Clients]
                form_list: Prospect
                fields:
                  email: {type: email, form: true}
                  opportunities: {type: referenced_by, from: opportunities.client, form: true}
                  region: {type: select, options: [Paris], form: yes please}
                  note: {type: text, form: true, placholder: typo}
            """
        }
    )
    result = check(root)
    found = {(p.code, p.line) for p in result.problems}
    assert ("not-a-form-field", 6) in found
    assert ("unknown-list", 3) in found
    messages = "\n".join(p.message for p in result.problems)
    assert "“opportunities” (referenced_by) cannot be filled in by a visitor" in messages
    assert "form_list “Prospect” is not a list of Clients" in messages
    assert "fields.region.form" in messages  # not a boolean
    assert "unknown key “placholder” (did you mean “placeholder”?)" in messages


def test_crm_form_render_writes_a_static_form_posting_json(workspace, tmp_path):
    root = workspace({"clients/_project.yaml": CLIENTS})
    out = tmp_path / "contact.html"
    run = crm(
        "form",
        "render",
        "clients",
        "--out",
        out,
        "--action",
        "https://f.example/api/clients",
        cwd=root,
    )
    assert run.returncode == 0, run.stderr
    page = out.read_text(encoding="utf-8")
    assert 'data-endpoint="https://f.example/api/clients"' in page
    assert '<label for="f-email">E-mail</label>' in page
    assert 'aria-describedby="help-budget error-budget"' in page
    assert "http://" not in page.replace("https://f.example", "")  # nothing fetched elsewhere


def test_a_project_without_form_fields_has_no_form(workspace):
    run = crm("form", "render", "opportunities", cwd=workspace())
    assert run.returncode != 0
    assert "mark fields with form: true in opportunities/_project.yaml" in run.stderr
