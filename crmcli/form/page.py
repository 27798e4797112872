"""The form's pages in the workspace language (jinja2, autoescaped: whatever a visitor typed
is shown back as text): the form with its errors beside their fields, the thank-you page, the
list of forms, and the static form a site posts to the JSON endpoint with.

Every word of the page is a whole sentence through `_()`; styles are inline, nothing is
fetched from elsewhere, and the served page works without JavaScript."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from crmcli.form.guard import CSRF_FIELD, HONEYPOT_FIELD
from crmcli.form.schema import Form
from crmcli.i18n import _, current_language


def _words() -> dict[str, str]:
    return {
        "lead": _("Tell us about yourself and your project: we will get back to you shortly."),
        "correct": _("Some answers need a correction: see the messages beside the fields."),
        "choose": _("Choose…"),
        "trap": _("Leave this field empty."),
        "required": _("Fields marked * are required."),
        "send": _("Send"),
        "thanks": _("Thank you! We have received your details and will be in touch soon."),
        "again": _("Send another request"),
    }


def _render(template: str, agency: str, heading: str, **values: Any) -> str:
    from crmcli.reports.pages import page_environment

    return (
        page_environment()
        .get_template(f"form/{template}.html.j2")
        .render(
            lang=current_language(),
            agency=agency,
            heading=heading,
            title=heading,
            words=_words(),
            **values,
        )
    )


def form_page(
    form: Form,
    agency: str,
    action: str,
    csrf: str | None = None,
    typed: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
    static: bool = False,
) -> str:
    typed = dict(typed or {})

    def chosen(key: str) -> list[str]:
        value = typed.get(key)
        return [str(v) for v in value] if isinstance(value, list) else []

    return _render(
        "form",
        agency,
        _("Get in touch"),
        fields=form.fields,
        action=action,
        csrf=csrf,
        csrf_field=CSRF_FIELD,
        honeypot=HONEYPOT_FIELD,
        typed={k: (v if isinstance(v, str | list) else "") for k, v in typed.items()},
        chosen=chosen,
        errors=dict(errors or {}),
        static=static,
    )


def thanks_page(form: Form, agency: str) -> str:
    return _render("thanks", agency, _("Thank you"), again=f"/forms/{form.project}")


def index_page(forms: Iterable[Form], agency: str) -> str:
    return _render("index", agency, _("Our forms"), forms=list(forms))
