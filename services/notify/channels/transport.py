"""JSON over HTTP with one total deadline per send, only where egress allows.

A receiver that answers a byte at a time defeats a per-read timeout: every byte
restarts it. Here the whole exchange — connect, send, status, headers, body —
runs under one `eventlet.Timeout`, over eventlet's green HTTP client, so the
deadline holds whether or not the process is monkey-patched (the services are;
the tests are not). A send must end inside its budget: it runs under the
delivery's lease, and a send that outran the lease could be made a second time.

Before any request the URL passes lianxin.egress: its host is resolved, every address
checked against the allow-list, and the connection made to the address checked (never
to a second resolution). What a receiver answers is read for its status (and a robot's
errcode) only: a delivery keeps "HTTP 200", never the body, so a URL pointed at an
internal service cannot be used to read that service's answers.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import eventlet
from eventlet.green import socket as green_socket
from eventlet.green.http import client as http_client

from lianxin.egress import Destination, EgressRefused, EgressRule, HostUnresolved
from services.notify.domain.delivery import DeliveryFailed, PermanentFailure
from services.notify.domain.redaction import redact_url

RESPONSE_LIMIT = 4096  # of a provider's answer kept for the delivery log
RETRYABLE_STATUSES = frozenset({408, 425, 429})


@dataclass(frozen=True)
class Reply:
    status: int
    body: str

    @property
    def summary(self) -> str:
        """What a delivery keeps of the answer: its status, never its body."""
        return f"HTTP {self.status}"

    def json(self) -> dict[str, Any]:
        try:
            value = json.loads(self.body)
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}


class SendTimedOut(DeliveryFailed):
    pass


def post_json(
    url: str,
    payload: Mapping[str, Any] | bytes,
    budget: float,
    headers: Mapping[str, str] | None = None,
    *,
    egress: EgressRule,
) -> Reply:
    """POST `payload` and return the answer; 2xx or raise. A 5xx, 408, 429, a refused
    connection, a name that does not resolve or the deadline are worth another attempt
    (DeliveryFailed); any other 4xx, or an address egress refuses, is not
    (PermanentFailure). No error text carries the URL's query or the answer's body."""
    body = payload if isinstance(payload, bytes) else _encode(payload)
    shown = redact_url(url)
    try:
        with eventlet.Timeout(budget, SendTimedOut(f"no answer from {shown} within {budget:g}s")):
            reply = _exchange(url, egress.check(url), body, headers or {}, budget)
    except SendTimedOut:
        raise
    except EgressRefused as refused:
        raise PermanentFailure(f"{refused} (egress allow-list)") from None
    except HostUnresolved:
        raise DeliveryFailed(f"the host of {shown} did not resolve") from None
    except (OSError, http_client.HTTPException, ValueError) as exc:
        raise DeliveryFailed(f"{type(exc).__name__} talking to {shown}") from None
    if 200 <= reply.status < 300:
        return reply
    error = f"HTTP {reply.status} from {shown}"
    if reply.status >= 500 or reply.status in RETRYABLE_STATUSES:
        raise DeliveryFailed(error)
    raise PermanentFailure(error)


def _exchange(
    url: str, to: Destination, body: bytes, headers: Mapping[str, str], budget: float
) -> Reply:
    parts = urlsplit(url)
    if to.scheme == "https":
        connection = http_client.HTTPSConnection(
            to.host, to.port, timeout=budget, context=ssl.create_default_context()
        )
    else:
        connection = http_client.HTTPConnection(to.host, to.port, timeout=budget)
    connection._create_connection = _pinned(to.address)  # the address checked, not a new lookup
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    try:
        connection.request(
            "POST",
            path,
            body=body,
            headers={"Content-Type": "application/json; charset=utf-8", **headers},
        )
        response = connection.getresponse()
        text = response.read(RESPONSE_LIMIT).decode("utf-8", "replace")
        return Reply(response.status, text)
    finally:
        connection.close()


def _pinned(address: str):
    """http.client's connect, to `address` whatever the host name says (the Host header
    and TLS's server name stay the name's)."""

    def connect(where: tuple[str, int], timeout: float, source=None):
        return green_socket.create_connection((address, where[1]), timeout, source)

    return connect


def _encode(payload: Mapping[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, default=str).encode()
