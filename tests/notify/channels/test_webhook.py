"""The generic JSON webhook (channels/webhook.py): signed, named by its delivery."""

from __future__ import annotations

from services.notify.channels.base import Target
from services.notify.channels.webhook import WebhookChannel
from tests.notify.channels.sample import DELIVERY, LOOPBACK, MESSAGE, SECRET


def test_a_webhook_is_signed_names_its_delivery_and_carries_the_message(peer):
    WebhookChannel(LOOPBACK).send(DELIVERY, MESSAGE, Target(peer.url("/hook"), SECRET), 2)
    [received] = peer.received("/hook")
    assert received.signed_by(SECRET) and not received.signed_by("another-secret")
    assert received.delivery_id == "DL-TEST"
    body = received.json
    assert (body["case_id"], body["kind"], body["subject"]) == (
        "LX-1",
        "case.dispatched",
        MESSAGE.subject,
    )
    assert body["links"] == MESSAGE.links and body["facts"]["number"] == "JX-20261121-0042"
    assert body["recipient"] == {"kind": "person", "id": "p-repair-5", "display_name": "侯**"}
