"""WeCom group robots (channels/wecom.py): markdown with the links, and their errcode."""

from __future__ import annotations

import pytest

from services.notify.channels.base import Target
from services.notify.channels.wecom import WeComChannel
from services.notify.domain.delivery import (
    DeliveryFailed,
    PermanentFailure,
)
from tests.notify.channels.sample import DELIVERY, LOOPBACK, MESSAGE


def test_a_wecom_robot_gets_markdown_with_the_links(peer):
    peer.behave("/cgi-bin/webhook/send")
    url = peer.url("/cgi-bin/webhook/send?key=ROBOT-KEY")
    WeComChannel(LOOPBACK).send(DELIVERY, MESSAGE, Target(url), 2)
    [received] = peer.received("/cgi-bin/webhook/send")
    assert received.query == {"key": ["ROBOT-KEY"]}
    content = received.json["markdown"]["content"]
    assert received.json["msgtype"] == "markdown" and content.startswith(f"**{MESSAGE.subject}**")
    assert "[接单 Accept](https://lx/a)" in content and len(content.encode()) <= 4096


@pytest.mark.parametrize(
    ("errcode", "error"),
    [(45009, DeliveryFailed), (93000, PermanentFailure)],
    ids=["rate-limited", "bad-key"],
)
def test_a_robot_errcode_is_a_retry_or_a_refusal(peer, errcode, error):
    peer.behave("/robot", ok_body=f'{{"errcode": {errcode}, "errmsg": "x"}}'.encode())
    with pytest.raises(error) as raised:
        WeComChannel(LOOPBACK).send(DELIVERY, MESSAGE, Target(peer.url("/robot?key=K")), 2)
    assert type(raised.value) is error and str(raised.value) == f"WeCom errcode {errcode}"


def test_a_robot_errcode_that_is_not_a_number_is_not_echoed(peer):
    peer.behave("/robot", ok_body=b'{"errcode": "INTERNAL-ANSWER-TEXT"}')
    with pytest.raises(PermanentFailure) as refused:
        WeComChannel(LOOPBACK).send(DELIVERY, MESSAGE, Target(peer.url("/robot")), 2)
    assert "INTERNAL-ANSWER-TEXT" not in str(refused.value)
