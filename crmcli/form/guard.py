"""What keeps a public form from being abused: a bound on the request body, security headers on
every answer, a rate limit per address, and a signed CSRF token tied to the visitor's session.

A pure ASGI layer (no framework types) for the body and the headers, so that an oversized body
is refused before the application reads any of it, whatever the route."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from crmcli.errors import UsageError
from crmcli.i18n import _

BODY_LIMIT = 64 * 1024  # bytes: a form's answers are a few kB
DEFAULT_RATE = "10/minute"
SESSION_COOKIE = "crm_form_session"
CSRF_FIELD = "csrf-token"  # never a field key: those have no dash
HONEYPOT_FIELD = "contact-by-fax"  # hidden from people; a bot fills it
TOKEN_AGE = 2 * 3600  # seconds a token stays good within one session
SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
        b"form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


class Guard:
    """Wraps the application: body bound (413) and security headers."""

    def __init__(self, app: App, body_limit: int = BODY_LIMIT) -> None:
        self.app = app
        self.body_limit = body_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.body_limit):
            await too_large(send_secured)
            return
        body = await _bounded_body(receive, self.body_limit)
        if body is None:
            await too_large(send_secured)
            return
        replayed = False

        async def receive_again() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, receive_again, send_secured)


async def _bounded_body(receive: Receive, limit: int) -> bytes | None:
    """The whole body (a few kB), or None as soon as it is over the limit: a body sent in
    chunks, without a length, is bounded too."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def too_large(send: Send) -> None:
    body = _("The form is too large to be sent.").encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"text/plain; charset=utf-8")],
        }
    )
    await send({"type": "http.response.body", "body": body})


class RateLimit:
    """At most `rate` submissions per address (a maintained moving-window limiter)."""

    def __init__(self, rate: str = DEFAULT_RATE) -> None:
        from limits import parse
        from limits.storage import MemoryStorage
        from limits.strategies import MovingWindowRateLimiter

        try:
            self.rate = parse(rate)
        except ValueError:
            raise UsageError(
                _("“{rate}” is not a rate: write it like 10/minute or 100/hour.").format(rate=rate)
            ) from None
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def allows(self, address: str) -> bool:
        return bool(self.limiter.hit(self.rate, "form", address))


class Tokens:
    """CSRF tokens: the visitor's session id signed with the server's secret, good for a
    while (so a visitor may submit, correct and submit again)."""

    def __init__(self, secret: str | None = None) -> None:
        from itsdangerous import URLSafeTimedSerializer

        self.serializer = URLSafeTimedSerializer(secret or secrets.token_hex(32), salt="crm-form")

    @staticmethod
    def new_session() -> str:
        return secrets.token_urlsafe(24)

    def token(self, session: str) -> str:
        return str(self.serializer.dumps(session))

    def valid(self, token: object, session: str | None) -> bool:
        from itsdangerous import BadData

        if not isinstance(token, str) or not session:
            return False
        try:
            return bool(self.serializer.loads(token, max_age=TOKEN_AGE) == session)
        except BadData:
            return False
