"""Every field type of DESIGN.md, validated by `crm check`: one passing and one failing value each.

Each failing value must give one problem, in the record's file, at the line of the field, with a
code a program can read and a message a salesperson can act on.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import BASE_FILES, check

Workspace = Callable[..., Path]

# A project with one field of every stored type. Records below write their field on line 3.
THINGS = """
    name: Things
    record_name: Thing
    lists: [Open, Lost]
    tags: [seo]
    fields:
      title: {type: text}
      notes: {type: long_text}
      employees: {type: number}
      amount: {type: currency}
      discount: {type: percent}
      email: {type: email}
      phone: {type: phone}
      website: {type: url}
      close_date: {type: date}
      meeting: {type: datetime}
      signed: {type: checkbox}
      confidence: {type: rating}
      stars: {type: rating, max: 10}
      source: {type: select, options: [Referral, Website]}
      services: {type: multi_select, options: [Branding, SEO]}
      contracts: {type: files}
      client: {type: reference, project: clients}
      partners: {type: reference, project: clients, multiple: true}
      score: {type: formula, expr: "confidence * 2"}
"""


def thing(field_yaml: str, name: str = "Thing one", list_name: str = "Open") -> str:
    return f"name: {name}\nlist: {list_name}\n{field_yaml}\n"


def problems_in(root: Path, path: str) -> list:
    result = check(root)
    return [p for p in result.problems if p.path == path]


def only_problem(root: Path, path: str):
    result = check(root)
    assert result.problems, "expected a problem, the workspace is clean"
    assert [p.path for p in result.problems] == [path], result.problems
    (problem,) = result.problems
    return problem


# (field line as written in the record, expected code, fragments of the message, column)
GOOD_AND_BAD = {
    "text": (
        "title: Refonte du site",
        "title: true",
        "wrong-type",
        ["Thing “Thing one”: title must be text, not true", "quote it"],
    ),
    "text-with-digits-is-text": (
        "title: 75001",
        "title: {a: b}",
        "wrong-type",
        ["title must be text, not a mapping"],
    ),
    "long_text": (
        'notes: "Premier rendez-vous.\\nDeuxième ligne."',
        "notes: [one, two]",
        "wrong-type",
        ["notes must be text, not [“one”, “two”]"],
    ),
    "number": (
        "employees: 42",
        "employees: forty",
        "wrong-type",
        ["employees must be a number, not “forty”", "write plain digits"],
    ),
    "currency": (
        "amount: 12000.50",
        "amount: 12k",
        "wrong-type",
        ["amount must be an amount of money, not “12k”", "write plain digits such as 12000"],
    ),
    "percent": (
        "discount: 12.5",
        'discount: "12%"',
        "wrong-type",
        ["discount must be a percentage, not “12%”"],
    ),
    "email": (
        "email: jeanne.dupont@atelier.example",
        "email: jeanne.dupont.atelier.example",
        "invalid-email",
        ["email “jeanne.dupont.atelier.example” is not a valid e-mail address", "@-sign"],
    ),
    "email-not-text": (
        "email: Jeanne.Dupont+crm@atelier.example",
        "email: 42",
        "wrong-type",
        ["email must be an e-mail address, not 42"],
    ),
    "phone-french-national": (
        'phone: "01 42 68 53 00"',
        'phone: "12345"',
        "invalid-phone",
        ["phone “12345” is not a valid phone number", "FR"],
    ),
    "phone-international": (
        'phone: "+7 495 123-45-67"',
        'phone: "+7 495 123"',
        "invalid-phone",
        ["phone “+7 495 123” is not a valid phone number"],
    ),
    "phone-unquoted-digits": (
        'phone: "0142685300"',
        "phone: 0142685300",
        "wrong-type",
        ["phone must be a phone number", "put phone numbers in quotes"],
    ),
    "url": (
        "website: https://atelier.example/offre?ref=crm",
        "website: atelier.example",
        "invalid-url",
        ["website “atelier.example” is not a valid web address", "start it with https://"],
    ),
    "url-not-text": (
        "website: http://www.acme.example",
        "website: [https://a.example]",
        "wrong-type",
        ["website must be a web address"],
    ),
    "date": (
        "close_date: 2025-02-28",
        "close_date: 2025-02-30",
        "invalid-date",
        ["close date “2025-02-30” is not a valid date", "YYYY-MM-DD"],
    ),
    "date-not-datetime": (
        "close_date: 2024-02-29",
        "close_date: 2025-02-28T10:00:00+01:00",
        "wrong-type",
        ["close date must be a date without a time"],
    ),
    "datetime": (
        "meeting: 2025-08-20T16:40:00+02:00",
        "meeting: tomorrow at ten",
        "invalid-datetime",
        ["meeting “tomorrow at ten” is not a valid date and time", "2025-08-20T16:40:00+02:00"],
    ),
    "checkbox": (
        "signed: false",
        "signed: yes",  # YAML 1.2: `yes` is text, not a boolean
        "wrong-type",
        ["signed must be true or false, not “yes”"],
    ),
    "rating-zero": (
        "confidence: 1",
        "confidence: 0",
        "wrong-type",
        ["confidence must be a whole number from 1 to 5, not 0"],
    ),
    "rating-above-max": (
        "confidence: 5",
        "confidence: 6",
        "wrong-type",
        ["confidence must be a whole number from 1 to 5, not 6"],
    ),
    "rating-custom-max": (
        "stars: 10",
        "stars: 11",
        "wrong-type",
        ["stars must be a whole number from 1 to 10, not 11"],
    ),
    "rating-not-whole": (
        "stars: 7",
        "stars: 3.5",
        "wrong-type",
        ["stars must be a whole number from 1 to 10, not 3.5"],
    ),
    "select-case": (
        "source: Referral",
        "source: referral",
        "unknown-option",
        [
            "source “referral” is not one of its options (Referral, Website)",
            "did you mean “Referral”?",
        ],
    ),
    "select-unknown": (
        "source: Website",
        "source: Billboard",
        "unknown-option",
        ["source “Billboard” is not one of its options (Referral, Website)"],
    ),
    "multi_select": (
        "services: [Branding, SEO]",
        "services: [Branding, seo]",
        "unknown-option",
        ["services “seo” is not one of its options (Branding, SEO)", "did you mean “SEO”?"],
    ),
    "multi_select-not-a-list": (
        "services: []",
        "services: SEO",
        "wrong-type",
        ["services must be a list of options", "write [SEO]"],
    ),
    "reference": (
        "client: acme",
        "client: acme-corp",
        "dangling-reference",
        [
            "client refers to “acme-corp”, but there is no such Company in Clients",
            "did you mean “acme”?",
        ],
    ),
    "reference-single-given-a-list": (
        "client: acme",
        "client: [acme]",
        "wrong-type",
        ["client must be a single record id", "multiple: true"],
    ),
    "reference-multiple": (
        "partners: [acme]",
        "partners: [acme, nobody]",
        "dangling-reference",
        ["partners refers to “nobody”, but there is no such Company in Clients"],
    ),
    "reference-multiple-given-one": (
        "partners: [acme]",
        "partners: acme",
        "wrong-type",
        ["partners must be a list of record ids", "write [acme]"],
    ),
}


@pytest.mark.parametrize("case", list(GOOD_AND_BAD), ids=list(GOOD_AND_BAD))
def test_field_type_accepts_good_and_rejects_bad_values(workspace: Workspace, case: str) -> None:
    good, bad, code, fragments = GOOD_AND_BAD[case]
    root = workspace({"things/_project.yaml": THINGS, "things/good.yaml": thing(good)})
    assert check(root).problems == [], f"{good!r} should be valid"

    root = workspace(
        {"things/_project.yaml": THINGS, "things/good.yaml": None, "things/bad.yaml": thing(bad)}
    )
    problem = only_problem(root, "things/bad.yaml")
    assert problem.code == code
    assert problem.line == 3
    assert problem.is_error
    for fragment in fragments:
        assert fragment in problem.message


def test_list_items_are_located_at_their_column(workspace: Workspace) -> None:
    root = workspace(
        {"things/_project.yaml": THINGS, "things/bad.yaml": thing("services: [SEO, Design]")}
    )
    problem = only_problem(root, "things/bad.yaml")
    assert (problem.line, problem.column) == (3, len("services: [SEO, ") + 1)


def test_phone_default_region_comes_from_the_workspace_locale(workspace: Workspace) -> None:
    record = {"things/_project.yaml": THINGS, "things/p.yaml": thing('phone: "01 42 68 53 00"')}
    assert check(workspace(record)).problems == []  # fr_FR → region FR

    us_config = BASE_FILES["crm.yaml"].replace("locale: fr_FR", "locale: en_US")
    problem = only_problem(workspace({**record, "crm.yaml": us_config}), "things/p.yaml")
    assert problem.code == "invalid-phone"
    assert "“01 42 68 53 00” is not a valid phone number" in problem.message


def test_email_syntax_is_checked_without_the_network(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the e-mail check tried to use the network")

    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    root = workspace(
        {
            "things/_project.yaml": THINGS,
            "things/a.yaml": thing("email: facturation@nowhere-at-all.example", name="A"),
            "things/b.yaml": thing("email: facturation@", name="B"),
        }
    )
    problems = check(root).problems
    assert [(p.path, p.code) for p in problems] == [("things/b.yaml", "invalid-email")]


def test_quoted_dates_are_dates_for_formulas(workspace: Workspace) -> None:
    schema = THINGS.rstrip() + '\n      year: {type: formula, expr: "YEAR(close_date)"}\n'
    schema += '      wait: {type: formula, expr: "DAYS_BETWEEN(meeting, close_date)"}\n'
    root = workspace(
        {
            "things/_project.yaml": schema,
            "things/q.yaml": 'name: Q\nlist: Open\nclose_date: "2025-10-15"\nmeeting: 2025-10-05 09:30\n',
        }
    )
    result = check(root)
    assert result.problems == []
    record = result.workspace.projects["things"].records["q"]
    assert record.computed["year"] == 2025
    assert record.computed["wait"] == 10


# files: paths inside the workspace only


@pytest.fixture
def files_workspace(workspace: Workspace, tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.pdf").write_bytes(b"%PDF secret")
    root = workspace(
        {
            "things/_project.yaml": THINGS,
            "files/contracts/acme-signed.pdf": b"%PDF signed",
            "files/devis été.pdf": b"%PDF devis",
        }
    )
    (root / "files" / "escape.pdf").symlink_to(outside / "secret.pdf")
    (root / "files" / "outside").symlink_to(outside, target_is_directory=True)
    (root / "files" / "latest.pdf").symlink_to(root / "files/contracts/acme-signed.pdf")
    return root


def test_files_inside_the_workspace_pass(files_workspace: Path) -> None:
    line = 'contracts: [files/contracts/acme-signed.pdf, "files/devis été.pdf", files/latest.pdf]'
    (files_workspace / "things/ok.yaml").write_text(thing(line), encoding="utf-8")
    assert check(files_workspace).problems == []


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("files/missing.pdf", "does not exist in the workspace"),
        ("files/contracts", "does not exist in the workspace"),  # a folder is not a file
        ("../outside/secret.pdf", "leaves the workspace (“..”)"),
        ("files/../../outside/secret.pdf", "leaves the workspace (“..”)"),
        ("files\\\\..\\\\..\\\\outside\\\\secret.pdf", "leaves the workspace (“..”)"),
        ("/etc/passwd", "is an absolute path"),
        ("C:/Windows/win.ini", "is an absolute path"),
        ("files/escape.pdf", "points outside the workspace through a symbolic link"),
        ("files/outside/secret.pdf", "points outside the workspace through a symbolic link"),
    ],
)
def test_files_outside_the_workspace_or_missing_are_refused(
    files_workspace: Path, path: str, reason: str
) -> None:
    line = f'contracts: [files/contracts/acme-signed.pdf, "{path}"]'
    (files_workspace / "things/bad.yaml").write_text(thing(line), encoding="utf-8")
    problem = only_problem(files_workspace, "things/bad.yaml")
    assert problem.code == "bad-file"
    assert (problem.line, problem.column) == (
        3,
        len("contracts: [files/contracts/acme-signed.pdf, ") + 1,
    )
    assert reason in problem.message
    assert problem.message.startswith("Thing “Thing one”: contracts: “")


def test_files_must_be_a_list(files_workspace: Path) -> None:
    (files_workspace / "things/bad.yaml").write_text(
        thing("contracts: files/contracts/acme-signed.pdf"), encoding="utf-8"
    )
    problem = only_problem(files_workspace, "things/bad.yaml")
    assert problem.code == "wrong-type"
    assert "contracts must be a list of file paths" in problem.message


# references point into the named project


def test_reference_to_an_id_of_another_project_says_wrong_project(workspace: Workspace) -> None:
    root = workspace(
        {"things/_project.yaml": THINGS, "things/bad.yaml": thing("client: acme-website")}
    )
    problem = only_problem(root, "things/bad.yaml")
    assert problem.code == "dangling-reference"
    assert "no such Company in Clients" in problem.message
    assert "there is a Deal with that id in Opportunities: wrong project?" in problem.message


def test_reference_by_name_instead_of_id_gets_the_id(workspace: Workspace) -> None:
    root = workspace({"things/_project.yaml": THINGS, "things/bad.yaml": thing("client: Acme")})
    problem = only_problem(root, "things/bad.yaml")
    assert problem.code == "dangling-reference"
    assert "records are referenced by id: write acme" in problem.message


# required and required_in


def test_required_field_missing_or_empty(workspace: Workspace) -> None:
    root = workspace(
        {
            "opportunities/no-client.yaml": "name: No client\nlist: Lead\n",
            "opportunities/empty-client.yaml": 'name: Empty client\nlist: Lead\nclient: ""\n',
        }
    )
    problems = check(root).problems
    assert [(p.path, p.line, p.code) for p in problems] == [
        ("opportunities/empty-client.yaml", 3, "required"),
        ("opportunities/no-client.yaml", 1, "required"),
    ]
    assert problems[0].message == "Deal “Empty client”: client is required"


def test_empty_text_is_an_empty_value_not_a_bad_one(workspace: Workspace) -> None:
    blank = 'email: ""\nsource: ""\nclose_date: ""\nclient: ""\nphone: ""\nwebsite: ""'
    root = workspace({"things/_project.yaml": THINGS, "things/blank.yaml": thing(blank)})
    assert check(root).problems == []


def test_name_is_required(workspace: Workspace) -> None:
    root = workspace({"opportunities/anonymous.yaml": "list: Lead\nclient: acme\n"})
    problem = only_problem(root, "opportunities/anonymous.yaml")
    assert problem.code == "required"
    assert "name is required" in problem.message


def test_required_in_applies_only_in_the_named_lists(workspace: Workspace) -> None:
    root = workspace(
        {
            "opportunities/open.yaml": "name: Open deal\nlist: Lead\nclient: acme\n",
            "opportunities/lost.yaml": "name: Lost deal\nlist: Lost\nclient: acme\n",
            "opportunities/lost-ok.yaml": "name: Lost, with reason\nlist: Lost\nclient: acme\nlost_reason: Price\n",
        }
    )
    problem = only_problem(root, "opportunities/lost.yaml")
    assert problem.code == "required"
    assert problem.line == 2  # the `list:` line that makes it required
    assert problem.message == "Deal “Lost deal”: lost reason is required in “Lost”"


# built-in fields: list, tags, assignee; unknown, removed and computed keys


def test_unknown_list_name_with_did_you_mean(workspace: Workspace) -> None:
    root = workspace({"opportunities/x.yaml": "name: X\nlist: Proposal snet\nclient: acme\n"})
    problem = only_problem(root, "opportunities/x.yaml")
    assert (problem.code, problem.line) == ("unknown-list", 2)
    assert "list “Proposal snet” is not a list of Opportunities" in problem.message
    assert "did you mean “Proposal sent”?" in problem.message


def test_record_in_no_list(workspace: Workspace) -> None:
    root = workspace({"opportunities/x.yaml": "name: X\nclient: acme\n"})
    problem = only_problem(root, "opportunities/x.yaml")
    assert problem.code == "no-list"
    assert "is in no list" in problem.message


def test_undeclared_tag_is_flagged_at_its_column(workspace: Workspace) -> None:
    root = workspace(
        {"opportunities/x.yaml": "name: X\nlist: Lead\ntags: [website, SEO]\nclient: acme\n"}
    )
    problem = only_problem(root, "opportunities/x.yaml")
    assert (problem.code, problem.line, problem.column) == (
        "unknown-tag",
        3,
        len("tags: [website, ") + 1,
    )
    assert "tag “SEO” is not declared in Opportunities (website, seo)" in problem.message
    assert "did you mean “seo”?" in problem.message


def test_assignee_must_be_a_member(workspace: Workspace) -> None:
    ok = "name: X\nlist: Lead\nassignee: bruno\nclient: acme\n"
    assert check(workspace({"opportunities/x.yaml": ok})).problems == []
    root = workspace({"opportunities/x.yaml": ok.replace("bruno", "alise")})
    problem = only_problem(root, "opportunities/x.yaml")
    assert (problem.code, problem.line) == ("unknown-member", 3)
    assert "assignee “alise” is not a member of the workspace" in problem.message
    assert "did you mean “alice”?" in problem.message


def test_unknown_key_gets_did_you_mean(workspace: Workspace) -> None:
    root = workspace({"opportunities/x.yaml": "name: X\nlist: Lead\nclient: acme\namont: 3000\n"})
    problem = only_problem(root, "opportunities/x.yaml")
    assert (problem.code, problem.line) == ("unknown-field", 4)
    assert problem.message == "Deal “X”: unknown field “amont” (did you mean “amount”?)"


def test_removed_builtin_is_flagged(workspace: Workspace) -> None:
    schema = BASE_FILES["opportunities/_project.yaml"].replace(
        "record_name: Deal", "record_name: Deal\n        defaults: {remove: [due, checklist]}"
    )
    record = "name: X\nlist: Lead\nclient: acme\ndue: 2025-11-30\n"
    assert check(workspace({"opportunities/x.yaml": record})).problems == []  # `due` is built in

    root = workspace({"opportunities/_project.yaml": schema, "opportunities/x.yaml": record})
    problem = only_problem(root, "opportunities/x.yaml")
    assert (problem.code, problem.line) == ("removed-field", 4)
    assert "“due” is not used in Opportunities (removed in _project.yaml)" in problem.message


@pytest.mark.parametrize(("key", "kind"), [("profit", "formula"), ("client_email", "lookup")])
def test_computed_field_written_into_a_record_is_flagged(
    workspace: Workspace, key: str, kind: str
) -> None:
    root = workspace({"opportunities/x.yaml": f"name: X\nlist: Lead\nclient: acme\n{key}: 5\n"})
    problem = only_problem(root, "opportunities/x.yaml")
    assert (problem.code, problem.line) == ("computed-field-in-record", 4)
    assert f"is computed ({kind}); remove it from the file" in problem.message


def test_backlink_written_into_a_record_is_flagged(workspace: Workspace) -> None:
    root = workspace(
        {"clients/beta.yaml": "name: Beta\nlist: Clients\nopportunities: [acme-website]\n"}
    )
    problem = only_problem(root, "clients/beta.yaml")
    assert (problem.code, problem.line) == ("computed-field-in-record", 3)
    assert "opportunities is computed (referenced_by)" in problem.message


# Unicode: French and Russian names, lists, tags and options


UNICODE_PROJECT = """
    name: Сделки
    record_name: Сделка
    lists:
      - {name: Первый контакт, probability: 0.1}
      - {name: Devis envoyé, probability: 0.5}
      - {name: Gagné, outcome: won}
    tags: [продвижение, référencement]
    fields:
      source: {type: select, options: [Сарафанное радио, Salon professionnel]}
      canaux: {type: multi_select, options: [Téléphone, Почта]}
      client: {type: reference, project: clients}
      titre: {type: formula, expr: "UPPER(name) + ' — ' + list"}
"""


def test_unicode_names_lists_tags_and_options(workspace: Workspace) -> None:
    root = workspace(
        {
            "sdelki/_project.yaml": UNICODE_PROJECT,
            "clients/elan.yaml": "name: Élan Créatif\nlist: Clients\n",
            "sdelki/ooo-romashka.yaml": """
                name: ООО «Ромашка» — сайт
                list: Первый контакт
                tags: [продвижение, référencement]
                source: Сарафанное радио
                canaux: [Téléphone, Почта]
                client: elan
            """,
        }
    )
    result = check(root)
    assert result.problems == []
    record = result.workspace.projects["sdelki"].records["ooo-romashka"]
    assert record.computed["titre"] == "ООО «РОМАШКА» — САЙТ — Первый контакт"


def test_unicode_mismatches_get_did_you_mean(workspace: Workspace) -> None:
    root = workspace(
        {
            "sdelki/_project.yaml": UNICODE_PROJECT,
            "sdelki/x.yaml": """
                name: Société Générale
                list: Devis envoye
                tags: [Продвижение]
                source: сарафанное радио
                canaux: [telephone]
            """,
        }
    )
    problems = check(root).problems
    assert [(p.code, p.line) for p in problems] == [
        ("unknown-list", 2),
        ("unknown-tag", 3),
        ("unknown-option", 4),
        ("unknown-option", 5),
    ]
    assert all(p.message.startswith("Сделка “Société Générale”: ") for p in problems)
    hints = ["“Devis envoyé”", "“продвижение”", "“Сарафанное радио”", "“Téléphone”"]
    for problem, hint in zip(problems, hints, strict=True):
        assert f"did you mean {hint}?" in problem.message
