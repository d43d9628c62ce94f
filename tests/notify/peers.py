"""Real peers on 127.0.0.1 for notify's channels: an HTTP receiver that plays a generic
webhook, a WeCom or DingTalk robot, an SMS gateway or the hotline (and can refuse, hang
or trickle its answer), and an SMTP server (aiosmtpd)."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope

from scripts.webhook_sink import dingtalk_signature_ok
from services.notify.domain.signatures import DELIVERY_HEADER, SIGNATURE_HEADER, verify
from tests.ports import free_port


@dataclass
class Received:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    def signed_by(self, secret: str) -> bool:
        return verify(secret, self.headers.get(SIGNATURE_HEADER, ""), self.body, int(time.time()))

    def dingtalk_signed_by(self, secret: str) -> bool:
        return dingtalk_signature_ok(self.query, secret, int(time.time() * 1000))

    @property
    def delivery_id(self) -> str | None:
        return self.headers.get(DELIVERY_HEADER)


@dataclass
class Behaviour:
    """How a path answers: `fail` posts with `status` first, then `ok_status`; or `hang`
    for seconds; or `trickle` the answer one byte every `trickle` seconds."""

    fail: int = 0
    status: int = 500
    ok_status: int = 200
    ok_body: bytes = b'{"errcode": 0, "errmsg": "ok"}'
    hang: float = 0.0
    trickle: float = 0.0


@dataclass
class HttpPeer:
    """One receiver; `behave(path, ...)` sets how a path answers, `received(path)` what came."""

    server: ThreadingHTTPServer = field(init=False)
    log: list[Received] = field(default_factory=list)
    rules: dict[str, Behaviour] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    release: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def address(self) -> str:
        """`127.0.0.1:<port>`, as an egress allow-list names it."""
        return f"127.0.0.1:{self.server.server_address[1]}"

    def url(self, path: str) -> str:
        return f"http://{self.address}{path}"

    def behave(self, path: str, **rule: Any) -> None:
        with self.lock:
            self.rules[path] = Behaviour(**rule)

    def received(self, path: str | None = None) -> list[Received]:
        with self.lock:
            return [r for r in self.log if path is None or r.path == path]

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def _answer(self, path: str) -> tuple[Behaviour, bool]:
        with self.lock:
            rule = self.rules.setdefault(path, Behaviour())
            failing = rule.fail > 0
            if failing:
                rule.fail -= 1
            return rule, failing

    def _handler(self):
        peer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                parts = urlsplit(self.path)
                with peer.lock:
                    peer.log.append(
                        Received(
                            parts.path, parse_qs(parts.query), dict(self.headers), body, time.time()
                        )
                    )
                rule, failing = peer._answer(parts.path)
                if rule.hang:
                    peer.release.wait(rule.hang)
                status = rule.status if failing else rule.ok_status
                answer = b'{"error": "busy"}' if failing else rule.ok_body
                raw = (
                    f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(answer)}\r\nConnection: close\r\n\r\n"
                ).encode() + answer
                try:
                    if rule.trickle:
                        for index in range(len(raw)):
                            self.wfile.write(raw[index : index + 1])
                            self.wfile.flush()
                            if peer.release.wait(rule.trickle):
                                return
                    else:
                        self.wfile.write(raw)
                except OSError:
                    return  # the sender gave up: as a real receiver would see it
                self.close_connection = True

            def log_message(self, *args):
                pass

        return Handler


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[tuple[Envelope, EmailMessage]] = []
        self.refuse: set[str] = set()
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append((envelope, parsed))
        return "250 Message accepted for delivery"


class SmtpPeer:
    """A real SMTP server (aiosmtpd) on loopback that keeps what it accepts."""

    def __init__(self) -> None:
        self.mailbox = _Mailbox()
        self.port = free_port()
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    @property
    def messages(self) -> list[EmailMessage]:
        with self.mailbox.lock:
            return [message for _, message in self.mailbox.messages]

    def stop(self) -> None:
        self.controller.stop()
