"""A development receiver for notify's HTTP channels, like a mail catcher for group robots.

POST /hooks        a generic webhook: checks the HMAC signature and keeps the message
POST /wecom        a WeCom group robot: checks the markdown format (`?key=` as WeCom has it)
POST /dingtalk     a DingTalk robot: checks `timestamp` and `sign` against --dingtalk-secret
POST /sms          an SMS gateway: keeps the text sent to each (masked) number
POST /hotline      the 12345 hotline's reply callback: checks the HMAC signature

GET /hooks lists the generic webhooks that arrived (newest last), each with whether its
signature verified; GET /messages lists everything, every channel, as one would read it.
`--fail-first N` answers 503 to the first N posts, to watch retries happen.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import click

from lianxin.privacy import mask_phone
from services.notify.domain.signatures import (
    DELIVERY_HEADER,
    DEV_SIGNING_SECRET,
    SIGNATURE_HEADER,
    verify,
)


def dingtalk_signature_ok(query: dict[str, list[str]], secret: str, now_ms: int) -> bool:
    """DingTalk's check: sign = base64(HMAC-SHA256(secret, "<timestamp>\\n<secret>")),
    the timestamp within an hour of now."""
    try:
        timestamp = int(query["timestamp"][0])
        sign = query["sign"][0]  # parse_qs undid DingTalk's urlencoding
    except (KeyError, ValueError, IndexError):
        return False
    if abs(now_ms - timestamp) > 3600_000:
        return False
    expected = base64.b64encode(
        hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    ).decode()
    return hmac.compare_digest(expected, sign)


class Sink:
    def __init__(self, secret: str, fail_first: int, dingtalk_secret: str = ""):
        self.secret = secret
        self.dingtalk_secret = dingtalk_secret
        self.failures_left = fail_first
        self.received: list[dict] = []  # generic webhooks, as tests and the demo read them
        self.messages: list[dict] = []  # every channel
        self.lock = threading.Lock()

    def take(self, headers, body: bytes, path: str = "/hooks") -> int:
        with self.lock:
            if self.failures_left > 0:
                self.failures_left -= 1
                return 503
            channel = urlsplit(path).path.strip("/") or "hooks"
            record = self._read(channel, headers, body, parse_qs(urlsplit(path).query))
            if record is None:
                return 404
            record["delivery_id"] = headers.get(DELIVERY_HEADER)  # a retry repeats it
            self.messages.append(record)
            if channel == "hooks":
                self.received.append(
                    {
                        "delivery_id": headers.get(DELIVERY_HEADER),
                        "verified": record["verified"],
                        "body": record["body"],
                    }
                )
            return 204 if record["verified"] else 401

    def _read(self, channel: str, headers, body: bytes, query: dict) -> dict | None:
        payload = json.loads(body or b"null")
        now = time.time()
        if channel in ("hooks", "hotline"):
            verified = verify(self.secret, headers.get(SIGNATURE_HEADER, ""), body, int(now))
            text = payload.get("text") or payload.get("summary", "")
        elif channel == "wecom":
            verified = payload.get("msgtype") == "markdown" and "key" in query
            text = (payload.get("markdown") or {}).get("content", "")
        elif channel == "dingtalk":
            verified = not self.dingtalk_secret or dingtalk_signature_ok(
                query, self.dingtalk_secret, int(now * 1000)
            )
            card = payload.get("actionCard") or payload.get("markdown") or {}
            text = card.get("text", "")
        elif channel == "sms":
            verified = headers.get("Authorization", "").startswith("Bearer ")
            text = f"to {mask_phone(payload.get('to', ''))}: {payload.get('text', '')}"
        else:
            return None
        return {"channel": channel, "verified": verified, "text": text, "body": payload}


def handler_for(sink: Sink, echo: bool = True):
    """The HTTP handler over `sink`; `echo` prints each message kept (the dev sink's log)."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status = sink.take(self.headers, body, self.path)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()
            if status == 204 and echo:
                with sink.lock:
                    last = sink.messages[-1]
                print(f"{last['channel']}: {last['text']!r}", flush=True)

        def do_GET(self):
            path = urlsplit(self.path).path
            with sink.lock:
                listed = sink.messages if path == "/messages" else sink.received
                payload = json.dumps(listed, ensure_ascii=False).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format, *args):
            pass

    return Handler


@click.command()
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=8099, type=int)
@click.option("--fail-first", default=0, type=int, help="Answer 503 to this many posts first.")
@click.option("--dingtalk-secret", envvar="SINK_DINGTALK_SECRET", default="")
def main(host: str, port: int, fail_first: int, dingtalk_secret: str) -> None:
    secret = os.environ.get("NOTIFY_SIGNING_SECRET") or DEV_SIGNING_SECRET
    server = ThreadingHTTPServer(
        (host, port), handler_for(Sink(secret, fail_first, dingtalk_secret))
    )
    print(f"webhook sink listening on {host}:{port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
