"""The life of a delivery: plain Python, no I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lianxin.backoff import BackOff
from services.notify.domain.delivery import HISTORY_LIMIT, Contact, Delivery, Recipient, delivery_id

SECRET = "s3cret"
BODY = b'{"case_id": "C-1"}'
NOW = 1_772_760_000
AT = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)


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
