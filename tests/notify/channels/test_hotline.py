"""The 12345 hotline's callback (channels/hotline.py): the structured reply, signed."""

from __future__ import annotations

from services.notify.channels.base import Target
from services.notify.channels.hotline import HotlineChannel
from tests.notify.channels.sample import DELIVERY, LOOPBACK, MESSAGE


def test_the_hotline_gets_the_structured_reply_signed_with_its_secret(peer):
    HotlineChannel(LOOPBACK).send(
        DELIVERY, MESSAGE, Target(peer.url("/reply"), "HOTLINE-SECRET"), 2
    )
    [received] = peer.received("/reply")
    assert received.signed_by("HOTLINE-SECRET")
    assert received.json["order_no"] == "GD-1" and received.json["delivery_id"] == "DL-TEST"
