"""JSON over HTTP (channels/transport.py): a refusal told apart from a hiccup, one total
deadline per send that a receiver which hangs or trickles cannot stretch, and egress."""

from __future__ import annotations

import time

import pytest

from lianxin.egress import EgressRule
from services.notify.channels.base import Target
from services.notify.channels.hotline import HotlineChannel
from services.notify.channels.transport import SendTimedOut
from services.notify.channels.webhook import WebhookChannel
from services.notify.channels.wecom import WeComChannel
from services.notify.domain.delivery import (
    DeliveryFailed,
    PermanentFailure,
)
from tests.notify.channels.sample import DELIVERY, LOOPBACK, MESSAGE, SECRET
from tests.ports import free_port


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (500, DeliveryFailed),
        (503, DeliveryFailed),
        (429, DeliveryFailed),
        (404, PermanentFailure),
        (401, PermanentFailure),
    ],
)
def test_a_5xx_or_429_is_worth_retrying_and_any_other_4xx_is_not(peer, status, error):
    peer.behave("/hook", fail=1, status=status)
    with pytest.raises(error) as raised:
        WebhookChannel(LOOPBACK).send(
            DELIVERY, MESSAGE, Target(peer.url("/hook?token=T0P"), SECRET), 2
        )
    assert type(raised.value) is error
    assert str(raised.value) == f"HTTP {status} from {peer.url('/hook')}?…"


def test_a_receiver_that_is_not_there_fails_without_showing_the_url_query():
    url = f"http://127.0.0.1:{free_port()}/hook?key=ROBOT-KEY"
    with pytest.raises(DeliveryFailed) as raised:
        WeComChannel(LOOPBACK).send(DELIVERY, MESSAGE, Target(url), 2)
    assert "ConnectionRefusedError" in str(raised.value) and "ROBOT-KEY" not in str(raised.value)


@pytest.mark.parametrize("rule", [{"hang": 10.0}, {"trickle": 0.1}], ids=["hangs", "trickles"])
def test_a_receiver_that_hangs_or_trickles_cannot_hold_a_send_past_its_budget(peer, rule):
    """The send runs under the delivery's lease; outrunning it could mean a second send.
    A trickle restarts any per-read timeout with every byte: only a total deadline holds."""
    peer.behave("/slow", **rule)
    started = time.monotonic()
    with pytest.raises(SendTimedOut):
        WebhookChannel(LOOPBACK).send(DELIVERY, MESSAGE, Target(peer.url("/slow"), SECRET), 1.0)
    assert 1.0 <= time.monotonic() - started < 1.5


def test_an_address_the_allow_list_does_not_name_is_refused_before_any_request(peer):
    """An imported webhook pointing at an internal service (here: another port on
    loopback) reaches nothing, and the refusal is for good (the next channel follows)."""
    only_the_sink = EgressRule.parse("127.0.0.1:1")
    with pytest.raises(PermanentFailure) as refused:
        WebhookChannel(only_the_sink).send(DELIVERY, MESSAGE, Target(peer.url("/internal")), 2)
    assert peer.received() == []
    assert "not allowed" in str(refused.value) and "127.0.0.1" not in str(refused.value)


def test_the_request_goes_to_the_address_that_was_checked(peer):
    """The name is resolved once, checked, and connected to by that address: a second
    answer of the resolver (DNS rebinding) is never asked for."""
    port = peer.server.server_address[1]
    answers = iter([["127.0.0.1"], ["10.0.0.1"]])
    asked: list[str] = []

    def resolve(host: str, _port: int) -> list[str]:
        asked.append(host)
        return next(answers)

    rule = EgressRule.parse(f"127.0.0.1:{port}", resolve)
    WebhookChannel(rule).send(
        DELIVERY, MESSAGE, Target(f"http://robot.example.test:{port}/hook", SECRET), 2
    )
    [received] = peer.received("/hook")
    assert received.headers["Host"] == f"robot.example.test:{port}"
    assert asked == ["robot.example.test"]


@pytest.mark.parametrize(("status", "error"), [(200, None), (404, PermanentFailure)])
def test_a_provider_answer_is_never_echoed_back(peer, status, error):
    """Only a status and a fixed reason are kept: an internal service's answer cannot be
    read back through a delivery's response or error."""
    answer = b'{"errcode": 0, "admin_token": "INTERNAL-ANSWER-TEXT"}'
    peer.behave("/echo", ok_status=status, ok_body=answer)
    for channel in (WebhookChannel(LOOPBACK), WeComChannel(LOOPBACK), HotlineChannel(LOOPBACK)):
        try:
            said = channel.send(DELIVERY, MESSAGE, Target(peer.url("/echo"), SECRET), 2)
        except DeliveryFailed as failed:
            assert type(failed) is error
            said = str(failed)
        else:
            assert error is None
        assert "INTERNAL-ANSWER-TEXT" not in said and str(status) in said
