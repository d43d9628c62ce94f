"""A development receiver for notification webhooks, like a mail catcher for group robots.

POST /hooks checks the signature and keeps the message; GET /hooks lists what
arrived (newest last), each with whether its signature verified.
`--fail-first N` answers 503 to the first N posts, to watch retries happen.
"""

from __future__ import annotations

import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import click

from services.notify.domain import DELIVERY_HEADER, SIGNATURE_HEADER, verify


class Sink:
    def __init__(self, secret: str, fail_first: int):
        self.secret = secret
        self.failures_left = fail_first
        self.received: list[dict] = []
        self.lock = threading.Lock()

    def take(self, headers, body: bytes) -> int:
        with self.lock:
            if self.failures_left > 0:
                self.failures_left -= 1
                return 503
            verified = verify(
                self.secret, headers.get(SIGNATURE_HEADER, ""), body, int(time.time())
            )
            self.received.append(
                {
                    "delivery_id": headers.get(DELIVERY_HEADER),
                    "verified": verified,
                    "body": json.loads(body or b"null"),
                }
            )
            return 204 if verified else 401


def handler_for(sink: Sink):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status = sink.take(self.headers, body)
            self.send_response(status)
            self.end_headers()
            if status == 204:
                print(
                    f"webhook {self.headers.get(DELIVERY_HEADER)}: "
                    f"{json.loads(body).get('text', '')!r}",
                    flush=True,
                )

        def do_GET(self):
            with sink.lock:
                payload = json.dumps(sink.received, ensure_ascii=False).encode()
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
def main(host: str, port: int, fail_first: int) -> None:
    secret = os.environ.get("NOTIFY_SIGNING_SECRET", "dev-signing-secret")
    server = ThreadingHTTPServer((host, port), handler_for(Sink(secret, fail_first)))
    print(f"webhook sink listening on {host}:{port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
