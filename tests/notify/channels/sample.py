"""What the channel tests send: one message and one delivery, a secret, and the egress
rule that lets them reach their peers on loopback."""

from __future__ import annotations

from datetime import UTC, datetime

from lianxin.egress import EgressRule
from services.notify.domain.delivery import Contact, Delivery, Recipient
from services.notify.domain.messages import Message

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
