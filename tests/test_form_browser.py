"""The served form end to end in Debian's headless Chromium: fill, submit, thank-you page, the
record assigned by the automation and announced to a local webhook; an invalid e-mail shown
beside its field with the other answers kept."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from .automation_fixtures import Webhook
from .conftest import check, codes
from .form_fixtures import form_server, lead_workspace
from .test_dashboard_render import browser

__all__ = ["browser"]  # the headless Chromium fixture of the dashboard tests


@pytest.fixture
def served(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("CRM_NOW", "2026-11-23T10:00:00+01:00")
    hook = Webhook()
    hook.start()
    root = lead_workspace(tmp_path / "ws", hook)
    with form_server(root, ["clients"], commit=False) as base:
        yield root, base, hook
    hook.stop()


def fill(browser, answers: dict[str, str]) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    for key, value in answers.items():
        element = browser.find_element(By.NAME, key)
        if element.tag_name == "select":
            Select(element).select_by_visible_text(value)
        else:
            element.clear()
            element.send_keys(value)


def submit(browser) -> None:
    """Click Send and wait for the next page (without JavaScript, the browser loads one)."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    button = browser.find_element(By.CSS_SELECTOR, "button[type=submit]")
    button.click()

    def left(_browser) -> bool:
        """The button's page is gone; asked mid-navigation, Chromium may say so in other
        words ("Node with given id does not belong to the document")."""
        try:
            button.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as error:
            if "does not belong to the document" in str(error):
                return True
            raise
        return False

    WebDriverWait(browser, 20).until(left)


def test_a_prospect_fills_the_form_and_becomes_an_assigned_announced_record(served, browser):
    from selenium.webdriver.common.by import By

    root, base, hook = served
    browser.get(f"{base}/forms/clients")
    assert browser.find_element(By.CSS_SELECTOR, "label[for=f-email]").text == "E-mail"
    fill(
        browser,
        {
            "name": "Boulangerie Dupont",
            "email": "marie@dupont.example",
            "phone": "01 42 68 53 00",
            "region": "Lyon",
            "budget": "12 000,50",
            "message": "A new website\nwith a shop",
        },
    )
    submit(browser)
    assert browser.current_url == f"{base}/forms/clients/thanks"
    assert "Thank you! We have received your details" in browser.page_source
    saved = yaml.safe_load((root / "clients/boulangerie-dupont.yaml").read_text(encoding="utf-8"))
    assert saved["assignee"] == "alice"
    assert saved["region"] == "Lyon" and saved["budget"] == 12000.5
    assert saved["message"] == "A new website\nwith a shop"
    assert hook.messages == ["New lead Boulangerie Dupont for alice"]
    assert codes(check(root)) == []


def test_an_invalid_email_is_shown_beside_its_field_with_the_other_answers_kept(served, browser):
    from selenium.webdriver.common.by import By

    root, base, _hook = served
    browser.get(f"{base}/forms/clients")
    fill(browser, {"name": "Dupont & Fils", "email": "marie-at-dupont", "budget": "5 000"})
    submit(browser)
    email = browser.find_element(By.ID, "f-email")
    assert email.get_attribute("aria-invalid") == "true"
    assert "error-email" in email.get_attribute("aria-describedby")
    error = browser.find_element(By.ID, "error-email").text
    assert "E-mail" in error and "marie-at-dupont" in error
    assert browser.find_element(By.ID, "f-name").get_attribute("value") == "Dupont & Fils"
    assert browser.find_element(By.ID, "f-email").get_attribute("value") == "marie-at-dupont"
    assert browser.find_element(By.ID, "f-budget").get_attribute("value") == "5 000"
    assert browser.find_element(By.ID, "error-name").text == ""
    assert not (root / "clients/dupont-fils.yaml").exists()
    fill(browser, {"email": "marie@dupont.example"})  # corrected: the same session's token
    submit(browser)
    assert browser.current_url == f"{base}/forms/clients/thanks"
    assert (root / "clients/dupont-fils.yaml").exists()


def test_the_page_speaks_the_workspace_language(tmp_path, monkeypatch):
    """French strings with CRM_LANG=fr: the page of a French agency."""
    from crmcli.core.loader import Loader
    from crmcli.form.page import form_page
    from crmcli.form.schema import form_of
    from crmcli.i18n import current_language, use_language

    hook = Webhook()
    root = lead_workspace(tmp_path / "ws", hook)
    project = Loader(root).load(lazy=True).projects["clients"]
    before = current_language()
    use_language("fr")
    try:
        page = form_page(form_of(project), "Atelier", "/forms/clients", "token")
    finally:
        use_language(before)
    assert '<html lang="fr">' in page
    assert "Contactez-nous" in page and ">Envoyer<" in page
