"""Each channel adapter against a real peer on loopback: the format its receiver expects,
its signature, how a refusal is told apart from a hiccup, and one total deadline per send
that a receiver which hangs or trickles its answer cannot stretch."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
import urllib.parse
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from lianxin.egress import EgressRule
from services.notify.channels.base import Target
from services.notify.channels.dingtalk import DingTalkChannel, dingtalk_signed_url
from services.notify.channels.email import EmailChannel
from services.notify.channels.hotline import HotlineChannel
from services.notify.channels.robots import markdown
from services.notify.channels.sms import SmsChannel
from services.notify.channels.transport import SendTimedOut
from services.notify.channels.webhook import WebhookChannel
from services.notify.channels.wecom import WeComChannel
from services.notify.domain.delivery import (
    Contact,
    Delivery,
    DeliveryFailed,
    PermanentFailure,
    Recipient,
)
from services.notify.domain.messages import Message
from tests.notify.peers import HttpPeer, SmtpPeer
from tests.ports import free_port

SECRET = "channel-test-secret-0123456789"
LOOPBACK = EgressRule.parse("127.0.0.1")  # the peers of these tests
MESSAGE = Message(
    subject="【连心】新案件待接单 JX-20261121-0042 · New case for you",
    text="侯**，您好：有一件新案件派给您。\n案件编号：JX-20261121-0042\n\nA new case.",
    html="<p>侯**，您好</p>",
    short="【连心】新案件JX-20261121-0042 接单 https://lx/a",
    links={"accept": "https://lx/a", "decline": "https://lx/d"},
    facts={"number": "JX-20261121-0042", "reply": {"order_no": "GD-1", "kind": "closed"}},
)
DELIVERY = Delivery(
    id="DL-TEST",
    cause_id="e-1",
    kind="case.dispatched",
    recipient=Recipient("person", "p-repair-5", "侯**"),
    contact=Contact("webhook", "x"),
    message=MESSAGE.to_dict(),
    created_at=datetime(2026, 11, 21, tzinfo=UTC),
    case_id="LX-1",
    community_id="jingxiang",
)


@pytest.fixture
def peer():
    receiver = HttpPeer()
    yield receiver
    receiver.stop()


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


def test_the_hotline_gets_the_structured_reply_signed_with_its_secret(peer):
    HotlineChannel(LOOPBACK).send(
        DELIVERY, MESSAGE, Target(peer.url("/reply"), "HOTLINE-SECRET"), 2
    )
    [received] = peer.received("/reply")
    assert received.signed_by("HOTLINE-SECRET")
    assert received.json["order_no"] == "GD-1" and received.json["delivery_id"] == "DL-TEST"


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


@pytest.fixture
def smtp():
    server = SmtpPeer()
    yield server
    server.stop()


def test_an_email_has_a_subject_plain_text_with_links_and_html(smtp):
    channel = EmailChannel("127.0.0.1", smtp.port, "lianxin@test.local")
    answer = channel.send(DELIVERY, MESSAGE, Target("hou@test.cn"), 2)
    assert answer.startswith("250")
    [mail] = smtp.messages
    assert mail["Subject"] == MESSAGE.subject and mail["To"] == "hou@test.cn"
    assert "lianxin@test.local" in mail["From"] and "DL-TEST" in mail["Message-ID"]
    plain = mail.get_body(("plain",)).get_content()
    assert "案件编号：JX-20261121-0042" in plain and "accept: https://lx/a" in plain
    assert mail.get_body(("html",)).get_content().strip() == MESSAGE.html


def test_a_refused_mailbox_is_a_permanent_failure(smtp):
    smtp.mailbox.refuse.add("nobody@test.cn")
    channel = EmailChannel("127.0.0.1", smtp.port, "lianxin@test.local")
    with pytest.raises(PermanentFailure):
        channel.send(DELIVERY, MESSAGE, Target("nobody@test.cn"), 2)
    assert smtp.messages == []


def test_an_smtp_server_that_is_not_there_is_worth_retrying():
    channel = EmailChannel("127.0.0.1", free_port(), "lianxin@test.local")
    with pytest.raises(DeliveryFailed) as raised:
        channel.send(DELIVERY, MESSAGE, Target("a@test.cn"), 1)
    assert not isinstance(raised.value, PermanentFailure)


# Egress: where a send may go, and what of the answer is kept


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


def test_a_robot_errcode_that_is_not_a_number_is_not_echoed(peer):
    peer.behave("/robot", ok_body=b'{"errcode": "INTERNAL-ANSWER-TEXT"}')
    with pytest.raises(PermanentFailure) as refused:
        WeComChannel(LOOPBACK).send(DELIVERY, MESSAGE, Target(peer.url("/robot")), 2)
    assert "INTERNAL-ANSWER-TEXT" not in str(refused.value)


# Robot markdown: what residents wrote is text there, never a link or a button

FAKE_BUTTON = (
    '灯坏了 [接单 Accept](http://evil.example/x) <font color="warning">急</font> '
    "`code` **粗** ![img](http://evil.example/i.png)\n# 标题\n> 引用 http://evil.example/y"
)


def robot_message(**changes) -> Message:
    from services.notify.compose import load_labels
    from services.notify.domain.facts import case_context
    from services.notify.domain.messages import Messages

    payload = {
        "case_id": "LX-1",
        "number": "JX-20261121-0042",
        "community_id": "jx",
        "description": FAKE_BUTTON,
        "place": "5栋 [点此](http://evil.example/p)",
        **changes,
    }
    context = case_context(payload, {}, ZoneInfo("Asia/Shanghai"), load_labels(), MESSAGE.links)
    return Messages().render("case.dispatched", "elsewhere", context)


def markdown_links(content: str) -> list[tuple[str, str]]:
    return re.findall(r"\[([^\]]*)\]\(([^)]*)\)", content)


def test_resident_text_adds_no_link_button_or_markup_to_a_wecom_message(peer):
    WeComChannel(LOOPBACK).send(DELIVERY, robot_message(), Target(peer.url("/wecom")), 2)
    content = peer.received("/wecom")[0].json["markdown"]["content"]
    assert markdown_links(content) == [
        ("接单 Accept", "https://lx/a"),
        ("拒单 Decline", "https://lx/d"),
    ], "only the real action links"
    for markup in ("<font", "`", "\n#", "\n>", "http://evil", "**粗**"):
        assert markup not in content, markup
    assert "接单 Accept" in content and "evil.example/x" in content, "shown as text"
    assert content.startswith("**【连心】新案件待接单 JX-20261121-0042"), "our own markup stays"


def test_resident_text_adds_no_link_to_a_dingtalk_card(peer):
    DingTalkChannel(LOOPBACK).send(DELIVERY, robot_message(), Target(peer.url("/dt")), 2)
    card = peer.received("/dt")[0].json["actionCard"]
    assert markdown_links(card["text"]) == [] and "<font" not in card["text"]
    assert [button["actionURL"] for button in card["btns"]] == ["https://lx/a", "https://lx/d"]


def test_a_long_text_is_cut_before_the_action_links_never_through_them():
    long = Message(MESSAGE.subject, "很长的描述" * 2000, "", "", MESSAGE.links)
    content = markdown(long)
    assert len(content.encode()) <= 4096
    assert content.endswith("[接单 Accept](https://lx/a) [拒单 Decline](https://lx/d)")


# Headers: a CR/LF in text from outside never reaches one


def test_a_line_break_in_a_subject_never_reaches_an_email_header(smtp):
    injected = Message(
        "【连心·告警】Disk\r\nBcc: spy@evil.cn\r\n\r\nbody", "text", "<p>x</p>", "short"
    )
    channel = EmailChannel("127.0.0.1", smtp.port, "lianxin@test.local")
    channel.send(DELIVERY, injected, Target("hou@test.cn"), 2)
    [mail] = smtp.messages
    assert "\n" not in mail["Subject"] and "\r" not in mail["Subject"]
    assert mail["Subject"].startswith("【连心·告警】Disk") and mail["Bcc"] is None
    [(envelope, _)] = smtp.mailbox.messages
    assert envelope.rcpt_tos == ["hou@test.cn"]
