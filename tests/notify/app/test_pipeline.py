"""One attempt of a delivery and what follows it: plain Python, the channels stubbed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from lianxin.backoff import BackOff
from services.notify.app import pipeline
from services.notify.compose import load_labels
from services.notify.domain.delivery import Contact, Delivery, Recipient
from services.notify.domain.facts import alert_context
from services.notify.domain.messages import Message, Messages
from services.notify.domain.redaction import redact

AT = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
MESSAGE = Message("s", "t", "<p>t</p>", "short")


@dataclass
class Raising:
    """A channel adapter that fails with `error` (a bug, a library's refusal)."""

    error: Exception
    names: frozenset[str] = field(default_factory=lambda: frozenset({"email", "sms"}))

    def send(self, delivery, message):
        raise self.error


@dataclass
class Outbound:
    channels: Raising
    back_off: BackOff = field(default_factory=lambda: BackOff(max_attempts=5))

    def redact(self, text: str) -> str:
        return redact(text)


def delivery(**changes) -> Delivery:
    return Delivery(
        id="DL-1",
        cause_id="alert:1",
        kind="alert",
        recipient=Recipient("person", "p-staff", "王**"),
        contact=Contact("email", "staff@test.cn"),
        message=MESSAGE.to_dict(),
        created_at=AT,
        community_id="jx",
        fallbacks=(Contact("sms", "13912345678"),),
        **changes,
    )


@pytest.mark.parametrize(
    "error",
    [ValueError("Header values may not contain linefeed"), KeyError("x"), TypeError("y")],
)
def test_a_channel_that_fails_unexpectedly_fails_for_good_and_the_next_channel_follows(error):
    """Not retried until the event is parked with no fallback: dead at once, the next
    channel due, and the error told as a fixed text (never the exception's own)."""
    attempted = pipeline._send(Outbound(Raising(error)), delivery(), lambda: AT)
    assert (attempted.state, attempted.attempts) == ("dead", 1)
    assert attempted.last_error == f"the email channel failed ({type(error).__name__})"
    _, events = pipeline._follow_ups(attempted, AT)
    assert [getattr(event, "kind", None) for event in events][-1] == pipeline.FALLBACK


def test_an_alert_name_with_a_line_break_makes_a_one_line_subject():
    alert = {
        "status": "firing",
        "labels": {"alertname": "Disk\r\nBcc: spy@evil.cn", "severity": "critical"},
        "annotations": {"summary": "满了\u2028第二行"},
    }
    context = alert_context(alert, pipeline.zone_of("Asia/Shanghai"), load_labels())
    message = Messages().render("alert", "jx", context)
    assert message.subject == "【连心·告警】严重 Disk Bcc: spy@evil.cn · Alert"
