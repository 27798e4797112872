"""The web form over HTTP: a real uvicorn server on loopback, real requests (httpx)."""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import yaml

from .automation_fixtures import Webhook
from .conftest import check, codes
from .form_fixtures import RESCAN, form_server, lead_workspace

ENV_NOW = "2026-11-23T10:00:00+01:00"


@pytest.fixture
def webhook():
    hook = Webhook()
    hook.start()
    yield hook
    hook.stop()


@pytest.fixture
def root(tmp_path: Path, webhook: Webhook, monkeypatch) -> Path:
    monkeypatch.setenv("CRM_NOW", ENV_NOW)
    return lead_workspace(tmp_path / "ws", webhook)


def token_of(client: httpx.Client, base: str) -> str:
    page = client.get(f"{base}/forms/clients")
    assert page.status_code == 200
    return re.search(r'name="csrf-token" value="([^"]+)"', page.text).group(1)


def record(root: Path, record_id: str) -> dict:
    return yaml.safe_load((root / "clients" / f"{record_id}.yaml").read_text(encoding="utf-8"))


def test_json_submission_is_read_in_the_locale_assigned_and_announced(root, webhook):
    with form_server(root, ["clients"]) as base:
        reply = httpx.post(
            f"{base}/api/clients",
            json={
                "name": "Boulangerie Dupont",
                "email": "marie@dupont.example",
                "phone": "01 42 68 53 00",
                "budget": "12 000,50",
                "start": "31/12/2026",
            },
        )
        assert reply.status_code == 201, reply.text
        assert reply.json() == {"record": "clients/boulangerie-dupont"}
    saved = record(root, "boulangerie-dupont")
    assert saved["budget"] == 12000.5
    assert str(saved["start"]) == "2026-12-31"
    assert saved["phone"] == "01 42 68 53 00"
    assert saved["list"] == "Prospects"
    assert saved["assignee"] == "alice"
    assert webhook.messages == ["New lead Boulangerie Dupont for alice"]
    assert codes(check(root)) == []


def test_json_errors_are_422_by_field_and_nothing_is_written(root):
    with form_server(root, ["clients"]) as base:
        reply = httpx.post(
            f"{base}/api/clients",
            json={"name": "", "email": "not-an-email", "budget": "douze", "assignee": "bruno"},
        )
    assert reply.status_code == 422
    errors = reply.json()["errors"]
    assert set(errors) == {"name", "email", "budget", "assignee"}
    assert "not a field of this form" in errors["assignee"]
    assert "E-mail" in errors["email"]
    assert sorted(p.name for p in (root / "clients").iterdir()) == ["_project.yaml", "acme.yaml"]


@pytest.mark.parametrize("key", ["assignee", "list", "tags", "secret_score", "opportunities"])
def test_only_form_fields_are_accepted(root, key):
    with form_server(root, ["clients"]) as base:
        reply = httpx.post(f"{base}/api/clients", json={"name": "Sneaky", key: "x"})
    assert reply.status_code == 422
    assert list(reply.json()["errors"]) == [key]


def test_a_bearer_token_from_the_environment_guards_the_api(root, monkeypatch):
    monkeypatch.setenv("CRM_FORM_TOKEN", "s3cret")
    with form_server(root, ["clients"]) as base:
        assert httpx.post(f"{base}/api/clients", json={"name": "A"}).status_code == 401
        wrong = {"Authorization": "Bearer nope"}
        assert (
            httpx.post(f"{base}/api/clients", json={"name": "A"}, headers=wrong).status_code == 401
        )
        right = {"Authorization": "Bearer s3cret"}
        assert (
            httpx.post(f"{base}/api/clients", json={"name": "A"}, headers=right).status_code == 201
        )


def test_health_and_index_and_security_headers(root):
    with form_server(root, ["clients"]) as base:
        health = httpx.get(f"{base}/healthz")
        index = httpx.get(f"{base}/")
        missing = httpx.get(f"{base}/forms/nothing")
    assert health.json() == {"status": "ok"}
    assert '<a href="/forms/clients">Clients</a>' in index.text
    assert missing.status_code == 404
    for answer in (health, index, missing):
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
        assert answer.headers["x-content-type-options"] == "nosniff"


def test_the_html_form_needs_its_csrf_token_and_refuses_the_honeypot(root):
    with form_server(root, ["clients"], rate="100/minute") as base:
        with httpx.Client() as client:
            token = token_of(client, base)
            cookie = client.cookies.jar
            assert all(not c.secure for c in cookie)  # plain http: the cookie must come back
            missing = client.post(f"{base}/forms/clients", data={"name": "No token"})
            forged = client.post(
                f"{base}/forms/clients", data={"name": "Forged", "csrf-token": "x.y.z"}
            )
            trapped = client.post(
                f"{base}/forms/clients",
                data={"name": "Bot", "csrf-token": token, "contact-by-fax": "buy now"},
            )
            fine = client.post(
                f"{base}/forms/clients", data={"name": "Real Person", "csrf-token": token}
            )
            again = client.post(
                f"{base}/forms/clients", data={"name": "Second Request", "csrf-token": token}
            )
        stranger = httpx.post(
            f"{base}/forms/clients", data={"name": "Cross site", "csrf-token": token}
        )  # a token without the session it was made for
    assert (missing.status_code, forged.status_code, stranger.status_code) == (403, 403, 403)
    assert trapped.status_code == 400
    assert fine.status_code == 303 and fine.headers["location"] == "/forms/clients/thanks"
    assert again.status_code == 303  # the token is good for a while within the session
    ids = sorted(p.stem for p in (root / "clients").iterdir())
    assert ids == ["_project", "acme", "real-person", "second-request"]


def test_values_are_escaped_when_shown_back(root):
    with form_server(root, ["clients"]) as base, httpx.Client() as client:
        token = token_of(client, base)
        page = client.post(
            f"{base}/forms/clients",
            data={"name": '<script>alert("x")</script>', "email": "<b>bad", "csrf-token": token},
        )
    assert page.status_code == 422
    assert "<script>alert" not in page.text and "<b>bad" not in page.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page.text


def test_an_oversized_body_is_413(root):
    with form_server(root, ["clients"]) as base:
        big = httpx.post(f"{base}/api/clients", json={"name": "x" * 70_000})

        def chunks():
            for _ in range(70):
                yield b"x" * 1024

        streamed = httpx.post(
            f"{base}/api/clients", content=chunks(), headers={"content-type": "application/json"}
        )
    assert big.status_code == 413
    assert streamed.status_code == 413


def test_a_long_answer_is_refused_beside_its_field(root):
    with form_server(root, ["clients"]) as base:
        reply = httpx.post(f"{base}/api/clients", json={"name": "A", "email": "a" * 400})
    assert reply.status_code == 422
    assert "too long" in reply.json()["errors"]["email"]


def test_the_rate_limit_is_per_address_and_set_by_the_option(root):
    with form_server(root, ["clients"], rate="3/minute") as base:
        answers = [
            httpx.post(f"{base}/api/clients", json={"name": f"Lead {n}"}).status_code
            for n in range(5)
        ]
    assert answers == [201, 201, 201, 429, 429]


def test_a_likely_duplicate_is_flagged_not_silently_added(root):
    with form_server(root, ["clients"]) as base:
        first = httpx.post(
            f"{base}/api/clients", json={"name": "Dupont", "email": "Marie@Dupont.example"}
        )
        second = httpx.post(
            f"{base}/api/clients", json={"name": "Dupont SARL", "email": "marie@dupont.example"}
        )
        by_phone = httpx.post(
            f"{base}/api/clients", json={"name": "Acme again", "phone": "+33 1 42 68 53 00"}
        )
        by_phone_again = httpx.post(
            f"{base}/api/clients", json={"name": "Acme bis", "phone": "01 42 68 53 00"}
        )
    assert [r.status_code for r in (first, second, by_phone, by_phone_again)] == [201] * 4
    assert "tags" not in record(root, "dupont")
    flagged = record(root, "dupont-sarl")
    assert flagged["tags"] == ["possible-duplicate"]
    assert flagged["activities"][0]["text"] == (  # the reasons crm duplicates gives
        "Possible duplicate of clients/dupont: same e-mail address marie@dupont.example; "
        "same name once normalised."
    )
    assert record(root, "acme-bis")["tags"] == ["possible-duplicate"]
    assert codes(check(root)) == []


def test_a_hand_edit_is_noticed_without_a_restart(root):
    with form_server(root, ["clients"]) as base:
        assert (
            httpx.post(f"{base}/api/clients", json={"name": "A", "region": "Nice"}).status_code
            == 422
        )
        schema = root / "clients" / "_project.yaml"
        schema.write_text(
            schema.read_text(encoding="utf-8").replace("[Paris, Lyon]", "[Paris, Lyon, Nice]"),
            encoding="utf-8",
        )
        (root / "clients" / "hand.yaml").write_text(
            "name: Hand\nlist: Prospects\nemail: hand@made.example\n", encoding="utf-8"
        )
        time.sleep(RESCAN * 3)  # the watcher rescans, then reads the workspace again
        assert (
            httpx.post(f"{base}/api/clients", json={"name": "B", "region": "Nice"}).status_code
            == 201
        )
        copy = httpx.post(f"{base}/api/clients", json={"name": "C", "email": "hand@made.example"})
    assert copy.status_code == 201
    assert record(root, "c")["tags"] == ["possible-duplicate"]


def test_a_burst_of_concurrent_submissions_lands_as_distinct_valid_records(root, webhook):
    with form_server(root, ["clients"], rate="1000/minute") as base:

        def submit(n: int) -> int:
            with httpx.Client(timeout=60) as client:
                answer = client.post(
                    f"{base}/api/clients",
                    json={"name": "Same Name", "email": f"lead{n}@example.org", "budget": str(n)},
                )
            return answer.status_code

        with ThreadPoolExecutor(20) as pool:
            statuses = list(pool.map(submit, range(200)))
    assert statuses == [201] * 200
    files = [p for p in (root / "clients").iterdir() if p.stem.startswith("same-name")]
    assert len(files) == 200
    emails = {yaml.safe_load(p.read_text(encoding="utf-8"))["email"] for p in files}
    assert len(emails) == 200
    assert codes(check(root)) == []
    assert len(webhook.posts) == 200


def test_commit_records_each_submission_with_a_business_message(root):
    from .repos import commit, git

    git(root, "init", "-q")
    git(root, "config", "user.email", "alice@agency.example")
    git(root, "config", "user.name", "Alice")
    commit(root, "start")
    with form_server(root, ["clients"], commit=True) as base:
        reply = httpx.post(f"{base}/api/clients", json={"name": "Studio Nord"})
    assert reply.status_code == 201
    subject = git(root, "log", "-1", "--format=%s").strip()
    assert subject == "Web form: clients/studio-nord: new Company “Studio Nord” in Prospects"
    assert git(root, "status", "--porcelain").strip() == ""
    shown = git(root, "show", "HEAD:clients/studio-nord.yaml")
    assert "assignee: alice" in shown  # the automation's assignment is in the same commit
