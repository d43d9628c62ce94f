"""The SMS gateway (channels/sms.py): the short text, with the gateway's key."""

from __future__ import annotations

from services.notify.channels.base import Target
from services.notify.channels.sms import SmsChannel
from tests.notify.channels.sample import DELIVERY, LOOPBACK, MESSAGE


def test_an_sms_gateway_gets_the_short_text_with_its_key(peer):
    SmsChannel(peer.url("/sms"), "GATEWAY-KEY", "连心", LOOPBACK).send(
        DELIVERY, MESSAGE, Target("13912345678"), 2
    )
    [received] = peer.received("/sms")
    assert received.headers["Authorization"] == "Bearer GATEWAY-KEY"
    assert received.json == {
        "to": "13912345678",
        "sign": "连心",
        "text": MESSAGE.short,
        "reference": "DL-TEST",
    }
