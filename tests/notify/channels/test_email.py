"""E-mail over SMTP (channels/email.py) against a real SMTP peer on loopback."""

from __future__ import annotations

import pytest

from services.notify.channels.base import Target
from services.notify.channels.email import EmailChannel
from services.notify.domain.delivery import (
    DeliveryFailed,
    PermanentFailure,
)
from services.notify.domain.messages import Message
from tests.notify.channels.sample import DELIVERY, MESSAGE
from tests.ports import free_port


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
