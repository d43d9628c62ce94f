"""JSON over HTTP with one total deadline per send.

A receiver that answers a byte at a time defeats a per-read timeout: every byte
restarts it. Here the whole exchange — connect, send, status, headers, body —
runs under one `eventlet.Timeout`, over eventlet's green HTTP client, so the
deadline holds whether or not the process is monkey-patched (the services are;
the tests are not). A send must end inside its budget: it runs under the
delivery's lease, and a send that outran the lease could be made a second time.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import eventlet
from eventlet.green.http import client as http_client

from services.notify.domain import DeliveryFailed, PermanentFailure, redact_url

RESPONSE_LIMIT = 4096  # of a provider's answer kept for the delivery log
RETRYABLE_STATUSES = frozenset({408, 425, 429})


@dataclass(frozen=True)
class Reply:
    status: int
    body: str

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
) -> Reply:
    """POST `payload` and return the answer; 2xx or raise. A 5xx, 408, 429, a refused
    connection or the deadline are worth another attempt (DeliveryFailed); any other
    4xx is not (PermanentFailure). No error text carries the URL's query."""
    body = payload if isinstance(payload, bytes) else _encode(payload)
    shown = redact_url(url)
    try:
        with eventlet.Timeout(budget, SendTimedOut(f"no answer from {shown} within {budget:g}s")):
            reply = _exchange(url, body, headers or {}, budget)
    except SendTimedOut:
        raise
    except (OSError, http_client.HTTPException, ValueError) as exc:
        raise DeliveryFailed(f"{type(exc).__name__} talking to {shown}") from None
    if 200 <= reply.status < 300:
        return reply
    error = f"HTTP {reply.status} from {shown}"
    if reply.status >= 500 or reply.status in RETRYABLE_STATUSES:
        raise DeliveryFailed(error)
    raise PermanentFailure(error)


def _exchange(url: str, body: bytes, headers: Mapping[str, str], budget: float) -> Reply:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PermanentFailure(f"not an http(s) URL: {redact_url(url)}")
    if parts.scheme == "https":
        connection = http_client.HTTPSConnection(
            parts.hostname, parts.port, timeout=budget, context=ssl.create_default_context()
        )
    else:
        connection = http_client.HTTPConnection(parts.hostname, parts.port, timeout=budget)
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


def _encode(payload: Mapping[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, default=str).encode()
