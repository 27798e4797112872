"""The form server: Starlette routes over the intake, behind the guard.

GET  /                    the list of forms
GET  /forms/PROJECT       the form (a CSRF token bound to the visitor's session cookie)
POST /forms/PROJECT       answers → the thank-you page (303), or the form with its errors (422)
POST /api/PROJECT         JSON answers → 201 {"record": …}, or 422 {"errors": {field: message}}
GET  /healthz             {"status": "ok"}

Writing a record is blocking work: it runs in a worker thread, one submission at a time."""

from __future__ import annotations

import hmac
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from crmcli.form.guard import (
    CSRF_FIELD,
    DEFAULT_RATE,
    HONEYPOT_FIELD,
    SESSION_COOKIE,
    TOKEN_AGE,
    Guard,
    RateLimit,
    Tokens,
)
from crmcli.form.intake import Intake, Submitted
from crmcli.form.live import ServedWorkspace
from crmcli.form.page import form_page, index_page, thanks_page
from crmcli.i18n import _

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

TOKEN_VARIABLE = "CRM_FORM_TOKEN"  # when set, POST /api/… needs "Authorization: Bearer <it>"
SECRET_VARIABLE = "CRM_FORM_SECRET"  # signs CSRF tokens; default: a new secret per start


@dataclass(slots=True)
class FormSettings:
    commit: bool = False
    rate: str = DEFAULT_RATE


def form_app(served: ServedWorkspace, settings: FormSettings) -> Guard:
    from starlette.applications import Starlette
    from starlette.routing import Route

    server = _Server(served, settings)

    @asynccontextmanager
    async def watching(app: Starlette) -> AsyncIterator[None]:
        served.watch()  # hand edits and `git pull`s are noticed while the server runs
        try:
            yield
        finally:
            served.stop()

    routes = [
        Route("/", server.index, methods=["GET"]),
        Route("/healthz", server.health, methods=["GET"]),
        Route("/forms/{project}", server.show, methods=["GET"]),
        Route("/forms/{project}", server.post_form, methods=["POST"]),
        Route("/forms/{project}/thanks", server.thanks, methods=["GET"]),
        Route("/api/{project}", server.post_api, methods=["POST"]),
    ]
    return Guard(Starlette(routes=routes, lifespan=watching))


class _Server:
    def __init__(self, served: ServedWorkspace, settings: FormSettings) -> None:
        self.served = served
        self.intake = Intake(served, settings.commit)
        self.limit = RateLimit(settings.rate)
        self.tokens = Tokens(os.environ.get(SECRET_VARIABLE))
        self.bearer = os.environ.get(TOKEN_VARIABLE) or None
        self.agency = served.current().editor.workspace.config.name

    async def index(self, request: Request) -> Response:
        from starlette.responses import HTMLResponse

        forms = self.served.current().forms.values()
        return HTMLResponse(index_page(forms, self.agency))

    async def health(self, request: Request) -> Response:
        from starlette.responses import JSONResponse

        return JSONResponse({"status": "ok"})

    async def show(self, request: Request) -> Response:
        form = self._form(request)
        session = request.cookies.get(SESSION_COOKIE) or Tokens.new_session()
        page = form_page(form, self.agency, request.url.path, self.tokens.token(session))
        return self._with_session(request, page, 200, session)

    async def thanks(self, request: Request) -> Response:
        from starlette.responses import HTMLResponse

        return HTMLResponse(thanks_page(self._form(request), self.agency))

    async def post_form(self, request: Request) -> Response:
        from starlette.responses import PlainTextResponse, RedirectResponse

        form = self._form(request)
        refused = self._refused(request)
        if refused:
            return refused
        posted = await request.form()
        session = request.cookies.get(SESSION_COOKIE)
        if not self.tokens.valid(posted.get(CSRF_FIELD), session):
            return PlainTextResponse(
                _(
                    "This form has expired or was not sent from its page: reload it and send it again."
                ),
                status_code=403,
            )
        if posted.get(HONEYPOT_FIELD):
            return PlainTextResponse(_("The form was not accepted."), status_code=400)
        raw: dict[str, Any] = {}
        for key in posted:
            if key not in (CSRF_FIELD, HONEYPOT_FIELD):
                values = [v for v in posted.getlist(key) if isinstance(v, str)]
                raw[key] = values if len(values) > 1 or _is_checkboxes(form, key) else values[0]
        submitted = await self._submit(form.project, raw)
        if submitted.change is not None:
            return RedirectResponse(f"/forms/{form.project}/thanks", status_code=303)
        page = form_page(
            form,
            self.agency,
            request.url.path,
            self.tokens.token(session or ""),
            submitted.answers.typed,
            submitted.answers.errors,
        )
        return self._with_session(request, page, 422, session or "")

    async def post_api(self, request: Request) -> Response:
        from starlette.responses import JSONResponse

        form = self._form(request)
        if self.bearer and not hmac.compare_digest(
            request.headers.get("authorization", ""), f"Bearer {self.bearer}"
        ):
            return JSONResponse({"errors": {"": _("A valid bearer token is needed.")}}, 401)
        refused = self._refused(request)
        if refused:
            return refused
        if request.headers.get("content-type", "").partition(";")[0].strip() != "application/json":
            return JSONResponse({"errors": {"": _("Send the answers as JSON.")}}, 415)
        try:
            raw = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError):
            raw = None
        if not isinstance(raw, dict):
            return JSONResponse({"errors": {"": _("Send the answers as a JSON object.")}}, 400)
        if raw.pop(HONEYPOT_FIELD, None):
            return JSONResponse({"errors": {"": _("The form was not accepted.")}}, 400)
        submitted = await self._submit(form.project, raw)
        if submitted.change is None:
            return JSONResponse({"errors": submitted.answers.errors}, 422)
        return JSONResponse({"record": submitted.change.record}, 201)

    # helpers

    def _form(self, request: Request) -> Any:
        from starlette.exceptions import HTTPException

        form = self.served.current().forms.get(request.path_params["project"])
        if form is None:
            raise HTTPException(404, _("There is no such form."))
        return form

    def _refused(self, request: Request) -> Response | None:
        """429 once this address sent more than the rate allows."""
        from starlette.responses import PlainTextResponse

        address = request.client.host if request.client else "unknown"
        if self.limit.allows(address):
            return None
        return PlainTextResponse(
            _("Too many submissions from your address: wait a minute and try again."),
            status_code=429,
            headers={"retry-after": "60"},
        )

    async def _submit(self, project: str, raw: dict[str, Any]) -> Submitted:
        from starlette.concurrency import run_in_threadpool

        return await run_in_threadpool(self.intake.submit, project, raw)

    def _with_session(self, request: Request, page: str, status: int, session: str) -> Response:
        from starlette.responses import HTMLResponse

        response = HTMLResponse(page, status_code=status)
        response.set_cookie(
            SESSION_COOKIE,
            session,
            max_age=TOKEN_AGE,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme
            == "https",  # a cookie marked Secure never comes back over http
        )
        return response


def _is_checkboxes(form: Any, key: str) -> bool:
    return any(f.key == key and f.input == "checkboxes" for f in form.fields)


def serve(application: Guard, host: str, port: int) -> None:
    """Run the form server on uvicorn until it is stopped."""
    import uvicorn

    uvicorn.run(application, host=host, port=port, log_level="warning", access_log=False)
