"""Signatures, redaction and the life of a delivery: plain Python, no I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lianxin.backoff import BackOff
from services.notify.domain.delivery import HISTORY_LIMIT, Contact, Delivery, Recipient, delivery_id
from services.notify.domain.redaction import redact, redact_url, show_address
from services.notify.domain.signatures import sign, verify

SECRET = "s3cret"
BODY = b'{"case_id": "C-1"}'
NOW = 1_772_760_000
AT = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)


# Signatures


@given(secret=st.text(min_size=1), body=st.binary(), timestamp=st.integers(0, 2**40))
def test_a_signed_body_verifies(secret, body, timestamp):
    assert verify(secret, sign(secret, timestamp, body), body, now=timestamp)


def test_the_header_names_its_timestamp_and_scheme():
    timestamp, mac = sign(SECRET, NOW, BODY).split(",")
    assert timestamp == f"t={NOW}"
    assert mac.startswith("v1=") and len(mac) == 3 + 64


@pytest.mark.parametrize(
    ("secret", "header_body", "body"),
    [("other", BODY, BODY), (SECRET, BODY, BODY + b" ")],
    ids=["wrong-secret", "tampered-body"],
)
def test_a_wrong_secret_or_a_tampered_body_fails(secret, header_body, body):
    assert not verify(secret, sign(SECRET, NOW, header_body), body, now=NOW)


def test_a_rewritten_timestamp_fails():
    mac = sign(SECRET, NOW, BODY).split(",")[1]
    assert not verify(SECRET, f"t={NOW + 1},{mac}", BODY, now=NOW)


@pytest.mark.parametrize(("age", "fresh"), [(0, True), (300, True), (301, False), (-301, False)])
def test_a_signature_older_or_newer_than_the_tolerance_fails(age, fresh):
    assert verify(SECRET, sign(SECRET, NOW - age, BODY), BODY, now=NOW, tolerance=300) is fresh


@pytest.mark.parametrize(
    "header", ["", "garbage", "t=,v1=00", "t=abc,v1=00", "v1=00", f"t={NOW}", f"t={NOW},v1=é"]
)
def test_a_malformed_header_fails_quietly(header):
    assert verify(SECRET, header, BODY, now=NOW) is False


# Redaction


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc-123",
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?…",
        ),
        (
            "https://user:pw@hooks.example.cn:8443/x?token=t#frag",
            "https://hooks.example.cn:8443/x?…",
        ),
        ("http://127.0.0.1:8099/hooks", "http://127.0.0.1:8099/hooks"),
    ],
)
def test_a_url_is_shown_without_its_query_or_user_info(url, shown):
    assert redact_url(url) == shown


def test_an_error_text_loses_urls_queries_key_parameters_and_known_secrets():
    error = (
        "ConnectionError: HTTPSConnectionPool(host='oapi.dingtalk.com') url: "
        "https://oapi.dingtalk.com/robot/send?access_token=TOKEN1&sign=abc%2B "
        "sent with api_key=KEY2 and secret SEC-very-secret"
    )
    shown = redact(error, secrets=("SEC-very-secret",))
    for secret in ("TOKEN1", "abc%2B", "KEY2", "SEC-very-secret"):
        assert secret not in shown
    assert "https://oapi.dingtalk.com/robot/send?…" in shown and "api_key=[redacted]" in shown


@given(st.text(max_size=2000))
def test_a_redacted_text_is_bounded(text):
    assert len(redact(text)) <= 300


@pytest.mark.parametrize(
    ("channel", "address", "shown"),
    [
        ("sms", "13912345678", "139****5678"),
        ("email", "wang.xiulan@example.cn", "w***@example.cn"),
        ("wecom", "https://qyapi.weixin.qq.com/send?key=k", "https://qyapi.weixin.qq.com/send?…"),
        ("webhook", "group:jingxiang/jingxiang-g1", "group:jingxiang/jingxiang-g1"),
    ],
)
def test_an_address_is_shown_masked(channel, address, shown):
    assert show_address(channel, address) == shown


# Deliveries

PERSON = Recipient("person", "p-repair-1", "石**")
SMS = Contact("sms", "13912345678")
GROUP = Contact("wecom", "group:jingxiang/jingxiang-g1")


def pending(**changes) -> Delivery:
    base = Delivery(
        id="DL-1",
        cause_id="e-1",
        kind="case.dispatched",
        recipient=PERSON,
        contact=SMS,
        message={"subject": "s"},
        created_at=AT,
    )
    return Delivery(**{**base.__dict__, **changes})


def test_one_delivery_per_cause_recipient_and_channel():
    first = delivery_id("e-1", PERSON, SMS)
    assert first == delivery_id("e-1", PERSON, SMS) and first.startswith("DL-")
    others = {
        delivery_id("e-2", PERSON, SMS),
        delivery_id("e-1", Recipient("person", "p-repair-2"), SMS),
        delivery_id("e-1", PERSON, Contact("email", "a@b.cn")),
        delivery_id("e-1", PERSON, GROUP),
        delivery_id("e-1", PERSON, Contact("wecom", "https://robot/x")),
    }
    assert first not in others and len(others) == 5


def test_a_failure_schedules_the_next_attempt_after_the_back_off():
    failed = pending().failed(AT, "HTTP 502", BackOff(6, 5, 600), permanent=False)
    assert (failed.state, failed.attempts, failed.last_error) == ("failed", 1, "HTTP 502")
    assert failed.next_attempt_at == AT + timedelta(seconds=5)
    again = failed.failed(AT, "HTTP 503", BackOff(6, 5, 600), permanent=False)
    assert again.next_attempt_at == AT + timedelta(seconds=10)


def test_the_last_attempt_or_a_permanent_failure_leaves_it_dead():
    back_off = BackOff(max_attempts=2, base_seconds=1)
    once = pending().failed(AT, "HTTP 500", back_off, permanent=False)
    dead = once.failed(AT, "HTTP 500", back_off, permanent=False)
    assert (dead.state, dead.attempts, dead.dead_at, dead.next_attempt_at) == ("dead", 2, AT, None)
    refused = pending().failed(AT, "HTTP 404", back_off, permanent=True)
    assert (refused.state, refused.attempts) == ("dead", 1)


def test_a_success_after_failures_counts_every_attempt_and_keeps_their_errors():
    back_off = BackOff()
    delivered = pending().failed(AT, "HTTP 502", back_off, False).succeeded(AT, '{"ok":1}')
    assert (delivered.state, delivered.attempts, delivered.sent_at) == ("sent", 2, AT)
    assert delivered.last_error == "HTTP 502" and delivered.provider_response == '{"ok":1}'
    assert not delivered.open and delivered.expected_deadline is None


def test_the_history_of_attempts_is_bounded():
    delivery = pending()
    for _ in range(HISTORY_LIMIT + 5):
        delivery = delivery.failed(AT, "x", BackOff(max_attempts=100), False)
    assert len(delivery.history) == HISTORY_LIMIT and delivery.attempts == HISTORY_LIMIT + 5


def test_a_revived_delivery_starts_its_attempts_again():
    dead = pending().failed(AT, "HTTP 404", BackOff(), permanent=True)
    revived = dead.revived(AT + timedelta(hours=1))
    assert (revived.state, revived.attempts, revived.dead_at) == ("pending", 0, None)
    assert revived.last_error == "HTTP 404", "the history stays for the operator"


def test_a_bundled_delivery_names_its_digest_and_waits_for_nothing():
    bundled = pending().due(AT, "dl-1").bundled("DG-1")
    assert (bundled.state, bundled.bundled_into, bundled.expected_deadline) == (
        "bundled",
        "DG-1",
        None,
    )


def test_the_chain_gives_the_next_channel_and_the_rest():
    delivery = pending(fallbacks=(Contact("email", "a@b.cn"), GROUP))
    assert delivery.next_in_chain() == (Contact("email", "a@b.cn"), (GROUP,))
    assert pending().next_in_chain() is None


@given(
    attempts=st.integers(1, 40),
    base=st.floats(0.1, 60),
    cap=st.floats(1, 3600),
    limit=st.integers(1, 30),
)
def test_the_back_off_grows_is_capped_and_stops_at_the_limit(attempts, base, cap, limit):
    back_off = BackOff(limit, base, cap)
    delay = back_off.delay(attempts)
    if attempts >= limit:
        assert delay is None
    else:
        assert delay is not None and delay.total_seconds() <= cap + 1e-6  # µs rounding
        following = back_off.delay(attempts + 1)
        assert following is None or following >= delay


@pytest.mark.parametrize(
    "kind",
    [
        "case.dispatched",
        "case.assigned",
        "case.escalated",
        "case.emergency",
        "case.warning",
        "case.overdue",
        "shift.starting",
    ],
)
def test_an_offer_or_any_time_critical_message_never_waits_for_a_digest(kind):
    assert not pending(kind=kind).may_wait_for_a_digest


def test_news_to_a_person_may_wait_for_a_digest_but_not_when_urgent_or_to_a_group():
    news = pending(kind="case.extension_decided")
    assert news.may_wait_for_a_digest
    assert not pending(kind="case.extension_decided", urgent=True).may_wait_for_a_digest
    assert not pending(kind="case.extension_decided", contact=GROUP).may_wait_for_a_digest
    assert not pending(kind="digest").may_wait_for_a_digest
