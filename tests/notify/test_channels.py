"""The webhook channel against a real HTTP receiver on loopback."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from services.notify.channels import WebhookChannel
from services.notify.domain import DELIVERY_HEADER, SIGNATURE_HEADER, DeliveryFailed, verify

SECRET = "channel-test-secret"


@pytest.fixture
def receiver():
    """A receiver that answers with `receiver.status` after `receiver.delay` seconds."""
    state = {"status": 204, "delay": 0.0, "received": []}
    release = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state["received"].append((dict(self.headers), body))
            release.wait(state["delay"])
            self.send_response(state["status"])
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state["url"] = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    yield state
    release.set()
    server.shutdown()


def test_a_delivered_webhook_is_signed_and_names_its_delivery(receiver):
    WebhookChannel(SECRET, budget_seconds=2).send("DL-1", receiver["url"], {"text": "你好"})
    [(headers, body)] = receiver["received"]
    assert headers[DELIVERY_HEADER] == "DL-1"
    assert verify(SECRET, headers[SIGNATURE_HEADER], body, int(time.time()))


def test_a_refusing_receiver_fails_the_delivery(receiver):
    receiver["status"] = 503
    with pytest.raises(DeliveryFailed, match="503"):
        WebhookChannel(SECRET, budget_seconds=2).send("DL-2", receiver["url"], {"text": "x"})


def test_a_receiver_that_hangs_cannot_hold_the_send_past_its_budget(receiver):
    """The send runs under the delivery's lease; outrunning it would mean a second send."""
    receiver["delay"] = 10.0
    started = time.monotonic()
    with pytest.raises(DeliveryFailed):
        WebhookChannel(SECRET, budget_seconds=1.0).send("DL-3", receiver["url"], {"text": "x"})
    assert time.monotonic() - started < 1.0
