"""Real delivery endpoints for automation tests: an SMTP server (aiosmtpd) and a webhook
receiver (http.server), both on free loopback ports, recording what reached them."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    subject: str
    body: str


class SmtpServer:
    """aiosmtpd on 127.0.0.1; `stop()` and `start()` keep the port, like a server restart."""

    def __init__(self) -> None:
        self.port = free_port()
        self.mails: list[Mail] = []
        self._controller: Any = None

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        part = message.get_body(preferencelist=("plain",))
        self.mails.append(
            Mail(
                envelope.mail_from,
                list(envelope.rcpt_tos),
                str(message["subject"]),
                part.get_content().strip() if part else "",
            )
        )
        return "250 OK"

    def url(self, to: str) -> str:
        return f"mailto://127.0.0.1:{self.port}?from=crm@agency.example&to={to}"

    def to(self, address: str) -> list[Mail]:
        return [m for m in self.mails if address in m.recipients]


@dataclass
class Webhook:
    """A local HTTP server that records the JSON posted to it."""

    port: int = field(default_factory=free_port)
    posts: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200  # what it answers (500: a broken receiver)
    delay: float = 0.0  # seconds before it answers (longer than the client's timeout: slow)

    def start(self) -> None:
        posts, receiver = self.posts, self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length))
                status, delay = receiver.status, receiver.delay
                time.sleep(delay)
                if status == 200 and not delay:  # a message answered in time is delivered
                    posts.append({"path": self.path, **body})
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.port}/crm"

    @property
    def messages(self) -> list[str]:
        return [post["message"] for post in self.posts]
