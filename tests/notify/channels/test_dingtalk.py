"""DingTalk group robots (channels/dingtalk.py): a signed URL and an action card."""

from __future__ import annotations

import base64
import hashlib
import hmac
import urllib.parse

from services.notify.channels.base import Target
from services.notify.channels.dingtalk import DingTalkChannel, dingtalk_signed_url
from tests.notify.channels.sample import DELIVERY, LOOPBACK, MESSAGE


def test_a_dingtalk_robot_gets_a_signed_url_and_an_action_card(peer):
    url = peer.url("/robot/send?access_token=TOKEN")
    DingTalkChannel(LOOPBACK).send(DELIVERY, MESSAGE, Target(url, "SECabc123"), 2)
    [received] = peer.received("/robot/send")
    assert received.query["access_token"] == ["TOKEN"]
    assert received.dingtalk_signed_by("SECabc123") and not received.dingtalk_signed_by("SECx")
    card = received.json["actionCard"]
    assert received.json["msgtype"] == "actionCard" and card["title"] == MESSAGE.subject
    assert [button["actionURL"] for button in card["btns"]] == ["https://lx/a", "https://lx/d"]


def test_the_dingtalk_signature_is_the_documented_one():
    """DingTalk's own recipe (its robot docs, 加签): HMAC-SHA256 keyed with the secret over
    "<timestamp>\\n<secret>", base64, then urllib.parse.quote_plus."""
    timestamp, secret = 1_700_000_000_000, "SEC000"
    digest = hmac.new(
        secret.encode("utf-8"), f"{timestamp}\n{secret}".encode(), digestmod=hashlib.sha256
    ).digest()
    expected_sign = urllib.parse.quote_plus(base64.b64encode(digest))
    signed = dingtalk_signed_url(
        "https://oapi.dingtalk.com/robot/send?access_token=T", secret, timestamp
    )
    assert signed == (
        f"https://oapi.dingtalk.com/robot/send?access_token=T&timestamp={timestamp}"
        f"&sign={expected_sign}"
    )
    assert "%2B" in signed or "%2F" in signed or "%3D" in signed, "the sign is urlencoded"
